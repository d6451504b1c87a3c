#!/usr/bin/env bash
# Make a private copy of the reference machine's collect.sh and init that
# boots from a root disk (issue #14): the same ~60 devices, but the
# virtio-blk disk (`d_vblk`, a 64 MiB null-co disk in the reference) is a
# 64 MiB raw image with an msdos partition table and one ext4 partition
# holding the initramfs's userland (busybox, kmod, lspci, lsusb) plus lsblk.
#
#   scripts/e2e/rootdisk/prepare.sh HW_DIR DEST_DIR
#   DEST_DIR/collect.sh OUT_DIR        (env as collect.sh: KERNEL_IMAGE, KVER,
#                                       KERNEL_MODULES, WORK, QEMU_TIMEOUT)
#   ROOTDISK_INITRD=0 DEST_DIR/collect.sh OUT_DIR   boot without an initramfs
#
# What changes against HW_DIR/collect.sh (sed, each edit checked):
#  1. lsblk (util-linux) is copied into the userland with its libraries, the
#     way collect.sh copies lspci and lsusb;
#  2. after the initramfs is packed, image.sh (sourced) builds the disk image
#     from the same staging directory (minus /lib/modules) with the disk's
#     own /init; with ROOTDISK_INITRD=0 the initramfs is then not used;
#  3. d_vblk's backend is that image (raw file) instead of null-co;
#  4. `-initrd` only when there is an initramfs;
#  5. the kernel command line gets `root=/dev/vda1 rootfstype=ext4 rw
#     rootwait init=/init`.
# The initramfs's init is HW_DIR/init up to its listings (the same coldplug),
# then switch-root.sh: modprobe of the root's fs type and a switch_root into
# /dev/vda1, as a distro initramfs does. The disk's init is HW_DIR/init plus
# three listings: /proc/mounts (mounts.txt), /proc/filesystems
# (filesystems.txt) and lsblk with the columns kfit reads (lsblk.txt).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
HW=${1:?usage: prepare.sh HW_DIR DEST_DIR}
DEST=${2:?usage: prepare.sh HW_DIR DEST_DIR}
mkdir -p "$DEST"
cp "$HW/collect.sh" "$HW/compare.sh" "$DEST/"
cp "$HERE/image.sh" "$DEST/rootdisk-image.sh"

# edit FILE 'sed expression' 'text that must appear afterwards'
edit() {
    sed -i "$2" "$1"
    grep -qF -- "$3" "$1" || { echo "rootdisk/prepare.sh: $(basename "$1") did not take: $2" >&2; exit 2; }
}
C=$DEST/collect.sh
edit "$C" 's|^cp -L "$(command -v lsusb)" "$R/usr/bin/lsusb"$|&\ncp -L "$(command -v lsblk)" "$R/usr/bin/lsblk"; cp -L "$(command -v blkid)" "$R/usr/sbin/blkid"   # rootdisk|' \
    'cp -L "$(command -v blkid)" "$R/usr/sbin/blkid"   # rootdisk'
edit "$C" 's|^for bin in /bin/kmod "$(command -v lspci)" "$(command -v lsusb)"; do$|for bin in /bin/kmod "$(command -v lspci)" "$(command -v lsusb)" "$(command -v lsblk)" "$(command -v blkid)"; do|' \
    '"$(command -v lsusb)" "$(command -v lsblk)" "$(command -v blkid)"; do'
edit "$C" 's|^log "initramfs $(du -h "$INITRD" \| cut -f1)"$|&\n. "$HERE/rootdisk-image.sh"   # rootdisk: $ROOTDISK, and INITRD="" with ROOTDISK_INITRD=0|' \
    '. "$HERE/rootdisk-image.sh"'
edit "$C" 's|-blockdev "$Z,node-name=d_vblk"|-blockdev "driver=raw,node-name=d_vblk,file.driver=file,file.filename=$ROOTDISK"|' \
    'file.filename=$ROOTDISK"'
edit "$C" 's|-kernel "$VMLINUZ" -initrd "$INITRD"|-kernel "$VMLINUZ" ${INITRD:+-initrd "$INITRD"}|' \
    '${INITRD:+-initrd "$INITRD"}'
edit "$C" 's|-append "console=ttyS0 panic=-1"|-append "console=ttyS0 panic=-1 root=/dev/vda1 rootfstype=ext4 rw rootwait init=/init"|' \
    'root=/dev/vda1 rootfstype=ext4 rw rootwait init=/init"'
! grep -qF '"$Z,node-name=d_vblk"' "$C" || { echo "rootdisk/prepare.sh: d_vblk still null-co" >&2; exit 2; }

# The initramfs's init: the reference coldplug, then switch_root.
sed '/^O=\/out$/,$d' "$HW/init" > "$DEST/init"
grep -q 'modprobe -b -q' "$DEST/init" || { echo "rootdisk/prepare.sh: no coldplug in $HW/init" >&2; exit 2; }
cat "$HERE/switch-root.sh" >> "$DEST/init"
# The disk's init: the reference init, plus what the machine runs on
# (listings.sh, before the reference's dmesg).
{
    sed '/^dmesg > $O\/dmesg.txt$/,$d' "$HW/init"
    cat "$HERE/listings.sh"
    sed -n '/^dmesg > $O\/dmesg.txt$/,$p' "$HW/init"
} > "$DEST/init.disk"
grep -qF 'lsblk -o NAME' "$DEST/init.disk" && grep -q '^poweroff -f$' "$DEST/init.disk" \
    || { echo "rootdisk/prepare.sh: disk init not patched" >&2; exit 2; }
chmod +x "$DEST/collect.sh" "$DEST/compare.sh" "$DEST/init" "$DEST/init.disk"
echo "rootdisk: private collect.sh, init (initramfs) and init.disk (root disk) in $DEST"
