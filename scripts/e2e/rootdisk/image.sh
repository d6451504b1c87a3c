# Sourced by the private collect.sh that scripts/e2e/rootdisk/prepare.sh
# makes, right after the initramfs is packed (it reads collect.sh's $R,
# $WORK, $HERE, $INITRD and log). Builds the root disk without loop mounts:
#   $WORK/rootdisk.img   64 MiB (the size of the null-co disk it replaces),
#                        msdos label (sfdisk), one Linux partition from
#                        sector 2048 to the end, ext4 made by
#                        `mke2fs -t ext4 -d TREE` into a separate file and
#                        copied in at the partition's offset with dd.
# TREE is the initramfs staging dir $R without /lib/modules/* (the disk
# boots kernels with everything built in; Debian's modules are in its
# initramfs) and with init.disk as /init. Sets ROOTDISK; with
# ROOTDISK_INITRD=0 it empties INITRD, so QEMU boots without -initrd.
for t in sfdisk mke2fs; do
    command -v "$t" >/dev/null || PATH=$PATH:/sbin:/usr/sbin
    command -v "$t" >/dev/null || { echo "rootdisk: $t missing (apt-get install fdisk e2fsprogs)" >&2; exit 2; }
done
ROOTDISK=$WORK/rootdisk.img
RD_TREE=$WORK/rootdisk-tree
rm -rf "$RD_TREE" "$ROOTDISK" "$ROOTDISK.part"
cp -a "$R" "$RD_TREE"
rm -rf "$RD_TREE"/lib/modules/* "$RD_TREE/init"
mkdir -p "$RD_TREE/out" "$RD_TREE/newroot"
cp "$HERE/init.disk" "$RD_TREE/init"
sed -i '2i export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu' "$RD_TREE/init"
chmod +x "$RD_TREE/init"
RD_BYTES=67108864 RD_START=2048
truncate -s "$RD_BYTES" "$ROOTDISK"
echo "start=$RD_START, type=83" | sfdisk -q --label dos "$ROOTDISK"
RD_PART_BYTES=$(( RD_BYTES - RD_START * 512 ))
truncate -s "$RD_PART_BYTES" "$ROOTDISK.part"
mke2fs -q -F -t ext4 -L kfit-root -d "$RD_TREE" "$ROOTDISK.part"
dd if="$ROOTDISK.part" of="$ROOTDISK" bs=512 seek="$RD_START" conv=notrunc,sparse status=none
rm -f "$ROOTDISK.part"
log "root disk $ROOTDISK: msdos, vda1 ext4 $(( RD_PART_BYTES / 1048576 )) MiB, $(du -sh "$RD_TREE" | cut -f1) of userland"
if [ "${ROOTDISK_INITRD:-1}" = 0 ]; then
    INITRD=""
    log "ROOTDISK_INITRD=0: no initramfs, the kernel mounts /dev/vda1 itself"
fi
