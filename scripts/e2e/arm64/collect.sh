#!/bin/bash
# collect.sh - boot Debian's arm64 kernel on a QEMU `virt` (aarch64) machine
# under TCG with a set of emulated devices, let it load a module for every
# modalias (like udev would), and collect what a user would list on it:
#   lspci -k/-nk/-nnk, lsusb, /sys/bus/*/devices/*/modalias, every uevent
#   MODALIAS=, the driver (and module) bound to every device on every bus,
#   the device tree (/sys/firmware/fdt as booted, `dtc -I fs` of
#   /sys/firmware/devicetree/base, QEMU's own `-machine dumpdtb=`) and a
#   text snapshot of the /sys attributes kfit's sysfs reader reads (sys.txt).
# The arm64 counterpart of shared/hw/qemu-q35-debian61/collect.sh.
#
# Usage:  ./collect.sh [outdir]         (default outdir: $WORK/out)
# Env:    WORK (scratch dir)   KPKG=linux-image-6.12.N+deb12-arm64-unsigned
#         (default: the newest 6.12 arm64 image in apt; KSERIES=6.1 picks the
#         newest linux-image-6.1.0-N-arm64-unsigned instead)
#         SMP=2  MEM=2G  CPU=max  QEMU_TIMEOUT=1200
#         KERNEL_IMAGE=path/to/Image  boot this kernel instead of Debian's
#           (same devices), KVER=name (label),
#           KERNEL_MODULES=path/to/lib/modules/<ver> (optional)
# Needs:  Debian 12 host (any arch), root (dpkg --add-architecture arm64,
#         apt-get), ~1 GB disk. Every package comes from the configured apt
#         sources.
set -euo pipefail

WORK=${WORK:-$(mktemp -d)}
OUT=$(realpath -m "${1:-$WORK/out}")
SMP=${SMP:-2}
MEM=${MEM:-2G}
CPU=${CPU:-max}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1200}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK" "$OUT"
cd "$WORK"

log() { echo "[collect-arm64 $(date +%T)] $*" >&2; }

# ---------------------------------------------------------------- host tools
need_pkgs=()
command -v qemu-system-aarch64 >/dev/null || need_pkgs+=(qemu-system-arm)
[ -f /usr/share/misc/pci.ids ] || need_pkgs+=(pci.ids)
command -v depmod >/dev/null || need_pkgs+=(kmod)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v zstd >/dev/null || need_pkgs+=(zstd)
command -v swtpm >/dev/null || need_pkgs+=(swtpm)
command -v dtc >/dev/null || need_pkgs+=(device-tree-compiler)
command -v readelf >/dev/null || need_pkgs+=(binutils)
command -v bc >/dev/null || need_pkgs+=(bc)
[ -f /usr/lib/ipxe/qemu/efi-virtio.rom ] || need_pkgs+=(ipxe-qemu)
apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { apt-get update -qq; apt_updated=1; }; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
    apt_update
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# arm64 userspace for the initramfs: static busybox, kmod's modprobe,
# pciutils' lspci, usbutils' lsusb and the libraries they need (checked
# below with readelf: a missing one stops the script).
USER_PKGS=(busybox-static kmod pciutils usbutils libkmod2 libpci3 libusb-1.0-0
           libudev1 libc6 liblzma5 libzstd1 libssl3 zlib1g)
SYSROOT=$WORK/sysroot-arm64
if [ ! -f "$SYSROOT/.done" ]; then
    rm -rf "$SYSROOT" dl-arm64; mkdir -p "$SYSROOT" dl-arm64
    apt_update
    (cd dl-arm64 && apt-get download -qq "${USER_PKGS[@]/%/:arm64}" 2>/dev/null)
    for d in dl-arm64/*.deb; do dpkg-deb -x "$d" "$SYSROOT"; done
    touch "$SYSROOT/.done"
fi
file_is_static() { readelf -l "$1" 2>/dev/null | grep -q INTERP && return 1; readelf -h "$1" >/dev/null 2>&1; }
file_is_static "$SYSROOT/bin/busybox" || { echo "need busybox-static:arm64 (bin/busybox must be static)"; exit 1; }

# ------------------------------------------------------------ kernel
if [ -n "${KERNEL_IMAGE:-}" ]; then
    IMAGE=$(realpath "$KERNEL_IMAGE")
    KVER=${KVER:-custom}
    KPKG="custom:$IMAGE"; DEB=-
    MODTREE=${KERNEL_MODULES:-}
    log "custom kernel $IMAGE"
else
    if [ -z "${KPKG:-}" ]; then
        apt_update
        case ${KSERIES:-6.12} in
            6.1) re='^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$' ;;
            *) re="^linux-image-${KSERIES:-6.12}\\.[0-9]+\\+deb12-arm64-unsigned\$" ;;
        esac
        KPKG=$(apt-cache search --names-only "$re" | awk '{print $1}' | sort -V | tail -1)
    fi
    [ -n "$KPKG" ] || { echo "no arm64 linux-image in apt (run apt-get update)"; exit 1; }
    KVER=${KPKG#linux-image-}; KVER=${KVER%-unsigned}
    log "kernel package $KPKG (KVER=$KVER)"
    mkdir -p dl
    ls dl/${KPKG}_*.deb >/dev/null 2>&1 || (cd dl && apt-get download -qq "$KPKG:arm64")
    DEB=$(ls dl/${KPKG}_*.deb | head -1)
    if [ ! -f "deb/$KVER/boot/vmlinuz-$KVER" ]; then
        rm -rf "deb/$KVER"; mkdir -p "deb/$KVER"
        dpkg-deb -x "$DEB" "deb/$KVER"
    fi
    KDIR=$WORK/deb/$KVER
    depmod -b "$KDIR" -F "$KDIR/boot/System.map-$KVER" "$KVER"
    IMAGE=$KDIR/boot/vmlinuz-$KVER      # arm64: an uncompressed Image
    MODTREE=$KDIR/lib/modules/$KVER
fi

# ---------------------------------------------------------------- initramfs
R=$WORK/rootfs-$KVER
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/share/misc,lib/modules,lib/modprobe.d,proc,sys,dev,tmp,etc,run}
cp "$SYSROOT/bin/busybox" "$R/bin/busybox"
# busybox's applet links are made by init itself (busybox --install -s):
# the host may have another busybox, or none
cp -L "$SYSROOT/bin/kmod" "$R/sbin/kmod"
for a in modprobe insmod rmmod lsmod modinfo depmod; do ln -sf kmod "$R/sbin/$a"; done
cp -L "$SYSROOT/usr/bin/lspci" "$R/usr/bin/lspci"
cp -L "$SYSROOT/usr/bin/lsusb" "$R/usr/bin/lsusb"
cp /usr/share/misc/pci.ids "$R/usr/share/misc/pci.ids"
# the libraries: every NEEDED of the three binaries, transitively
mkdir -p "$R/lib/aarch64-linux-gnu"
find_lib() { for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib; do
                 [ -e "$SYSROOT/$d/$1" ] && { echo "$SYSROOT/$d/$1"; return; }; done; }
todo=("$R/sbin/kmod" "$R/usr/bin/lspci" "$R/usr/bin/lsusb"); seen=" "
while [ ${#todo[@]} -gt 0 ]; do
    f=${todo[0]}; todo=("${todo[@]:1}")
    for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case $seen in *" $n "*) continue;; esac
        seen="$seen$n "
        p=$(find_lib "$n")
        [ -n "$p" ] || { echo "arm64 library $n (needed by $f) is in none of ${USER_PKGS[*]}"; exit 1; }
        cp -L "$p" "$R/lib/aarch64-linux-gnu/$n"
        todo+=("$R/lib/aarch64-linux-gnu/$n")
    done
done
cp -L "$SYSROOT/lib/ld-linux-aarch64.so.1" "$R/lib/ld-linux-aarch64.so.1"
cp "$SYSROOT"/lib/modprobe.d/*.conf "$R/lib/modprobe.d/" 2>/dev/null || true
if [ -n "$MODTREE" ]; then
    cp -al "$MODTREE" "$R/lib/modules/$(basename "$MODTREE")" 2>/dev/null \
        || cp -a "$MODTREE" "$R/lib/modules/$(basename "$MODTREE")"
fi
cp "$HERE/init" "$R/init"
sed -i '2i export LD_LIBRARY_PATH=/lib/aarch64-linux-gnu' "$R/init"
chmod +x "$R/init"
INITRD=$WORK/initrd-$KVER.cpio.zst
log "packing initramfs ($(du -sh "$R" | cut -f1))"
(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet | zstd -q -T0 -9 -f -o "$INITRD")
log "initramfs $(du -h "$INITRD" | cut -f1)"

# ---------------------------------------------------------------- QEMU
RUN=$WORK/run; rm -rf "$RUN"; mkdir -p "$RUN/tpm" "$RUN/9p"
echo "hello from host" > "$RUN/9p/hello.txt"
start_swtpm() {
    rm -f "$RUN/tpm/sock"
    swtpm socket --tpm2 --tpmstate dir="$RUN/tpm" \
          --ctrl type=unixio,path="$RUN/tpm/sock" --terminate \
          --log file="$RUN/swtpm.log" &
    SWTPM_PID=$!
    for _ in $(seq 50); do [ -S "$RUN/tpm/sock" ] && break; sleep 0.1; done
}
start_swtpm

Z="driver=null-co,read-zeroes=on,size=67108864"   # 64 MiB all-zero disks, no files
# virt's own devices (no -device needed): PL011 UART (the console, and the
# results after the markers), PL031 RTC, PL061 GPIO + gpio-keys (power
# button), fw_cfg, two CFI flash banks, 32 virtio-mmio transports, the
# PCIe host bridge (pci-host-ecam-generic), GICv3 + ITS, the architected
# timer, PSCI, the PMU and (iommu=smmuv3) an SMMUv3 in front of PCI.
QEMU=(qemu-system-aarch64
  -nodefaults -no-reboot -display none
  -machine virt,gic-version=3,iommu=smmuv3 -accel tcg -cpu "$CPU" -smp "$SMP"
  -m "$MEM"
  -kernel "$IMAGE" -initrd "$INITRD"
  -append "console=ttyAMA0 panic=-1"
  -serial "file:$RUN/console.log"          # ttyAMA0: console, then the results
  -audiodev none,id=snd0
  -chardev null,id=cnull0 -chardev null,id=cnull1
  -object cryptodev-backend-builtin,id=cryp0
  -chardev "socket,id=chrtpm,path=$RUN/tpm/sock"
  -tpmdev emulator,id=tpm0,chardev=chrtpm
  -fsdev "local,id=fs0,path=$RUN/9p,security_model=none"
  # --- block backends
  -blockdev "$Z,node-name=d_vblk" -blockdev "$Z,node-name=d_vscsi"
  -blockdev "$Z,node-name=d_nvme" -blockdev "$Z,node-name=d_sata"
  -blockdev "$Z,node-name=d_usb"
  -blockdev "$Z,node-name=d_usb2" -blockdev "$Z,node-name=d_sd"
  -blockdev "$Z,node-name=d_mmio"
  # --- PCIe root ports on the generic host bridge
  -device pcie-root-port,id=rp1,chassis=1,slot=1
  -device pcie-root-port,id=rp2,chassis=2,slot=2
  -device pcie-root-port,id=rp3,chassis=3,slot=3
  -device pcie-root-port,id=rp4,chassis=4,slot=4
  -device virtio-net-pci,bus=rp1
  -device nvme,bus=rp2,drive=d_nvme,serial=nvme0001
  -device qemu-xhci,bus=rp3,id=xhci,p2=15,p3=15
  -device e1000e,bus=rp4
  # --- devices on the root complex (pcie.0). No lsi53c895a: behind the
  # SMMU its SCRIPTS fetches from its own BAR (sym53c8xx's on-chip RAM)
  # fault (F_TRANSLATION) and the SCSI bus times out and resets.
  -device virtio-gpu-pci
  -device bochs-display
  -device virtio-blk-pci,drive=d_vblk
  -device virtio-scsi-pci,id=vscsi
  -device scsi-hd,bus=vscsi.0,drive=d_vscsi
  -device scsi-cd,bus=vscsi.0
  -device ich9-ahci,id=ahci
  -device ide-hd,bus=ahci.0,drive=d_sata
  -device intel-hda,id=hda0
  -device hda-duplex,bus=hda0.0,audiodev=snd0
  -device sdhci-pci,id=sdhci
  -device sd-card,drive=d_sd
  -device usb-ehci,id=ehci
  -device virtio-rng-pci
  -device virtio-balloon-pci
  -device virtio-serial-pci
  -device virtconsole,chardev=cnull0
  -device virtio-keyboard-pci
  -device virtio-tablet-pci
  -device virtio-9p-pci,fsdev=fs0,mount_tag=hostshare
  -device virtio-crypto-pci,cryptodev=cryp0
  -device i6300esb
  -device pci-serial,chardev=cnull1
  -device pvpanic-pci
  # --- virtio-mmio (device-tree) transports
  -device virtio-rng-device
  -device virtio-blk-device,drive=d_mmio
  # --- sysbus device added to the device tree: TPM TIS (MMIO)
  -device tpm-tis-device,tpmdev=tpm0
  # --- USB devices
  -device usb-kbd,bus=xhci.0
  -device usb-tablet,bus=xhci.0
  -device usb-storage,bus=xhci.0,drive=d_usb
  -device usb-hub,bus=xhci.0
  -device usb-net,bus=xhci.0
  -device usb-storage,bus=ehci.0,drive=d_usb2
)

# readable command line: one option per line, shell-quoted where needed
cmdline() {
    local first=1 a
    for a in "$@"; do
        case $a in *[\ \"\'\$]*) a="'$a'";; esac
        if [ $first = 1 ]; then printf '%s' "$a"; first=0
        elif [ "${a#-}" != "$a" ]; then printf ' \\\n  %s' "$a"
        else printf ' %s' "$a"; fi
    done
    echo
}
cmdline "${QEMU[@]}" | sed "s#$WORK#\$WORK#g" > "$RUN/qemu-cmdline.txt"

# QEMU's own device tree for this machine (it exits after writing it; no
# guest runs). /sys/firmware/fdt in the guest is the same blob plus what
# the kernel's EFI stub or QEMU's loader put in /chosen.
timeout 120 "${QEMU[@]}" -machine dumpdtb="$RUN/qemu-dumpdtb.dtb" > "$RUN/dumpdtb.log" 2>&1 || true
# swtpm ends with its first client (--terminate): a new one for the boot
kill "$SWTPM_PID" 2>/dev/null || true
wait "$SWTPM_PID" 2>/dev/null || true
start_swtpm

log "booting (tcg, cpu=$CPU, smp=$SMP, mem=$MEM)"
T0=$(date +%s.%N)
set +e
timeout "$QEMU_TIMEOUT" "${QEMU[@]}" > "$RUN/qemu-stdout.log" 2>&1
RC=$?
set -e
T1=$(date +%s.%N)
BOOT_S=$(echo "$T1 - $T0" | bc)
kill "$SWTPM_PID" 2>/dev/null || true
log "qemu exited rc=$RC after ${BOOT_S}s"

# ---------------------------------------------------------------- results
mkdir -p "$RUN/result"
if grep -aq '===HWCOLLECT-END===' "$RUN/console.log" 2>/dev/null; then
    sed -n '/===HWCOLLECT-BEGIN===/,/===HWCOLLECT-END===/p' "$RUN/console.log" \
        | sed '1d;$d' | tr -d '\r' | base64 -d | tar -xzf - -C "$RUN/result"
else
    echo "ERROR: guest did not deliver results; see $RUN/console.log" >&2
fi
cp -a "$RUN/result/." "$OUT/"
# the console without the result stream
sed '/===HWCOLLECT-BEGIN===/,/===HWCOLLECT-END===/d' "$RUN/console.log" > "$OUT/console.log"
cp "$RUN/qemu-cmdline.txt" "$OUT/qemu-cmdline.txt"
cp "$RUN/qemu-stdout.log" "$OUT/qemu-stderr.txt"
# the device tree: sorted dts (dtc -s) so that runs and kernels compare
same_dtb=-
if [ -f "$OUT/fdt.dtb" ]; then
    # /sys/firmware/fdt is QEMU's blob with its 1 MiB of padding: packed
    dtc -q -I dtb -O dtb -o "$OUT/devicetree.dtb" "$OUT/fdt.dtb"
    rm "$OUT/fdt.dtb"
    if [ -s "$RUN/qemu-dumpdtb.dtb" ]; then
        dtc -q -s -I dtb -O dts -o "$OUT/qemu-dumpdtb.dts" "$RUN/qemu-dumpdtb.dtb"
        # the kernel zeroes /chosen's kaslr-seed and removes its rng-seed
        # once used: the rest must be QEMU's
        seeds='/^[[:space:]]*\(kaslr-seed\|rng-seed\) = /d'
        if cmp -s <(dtc -q -s -I dtb -O dts "$OUT/devicetree.dtb" | sed "$seeds") \
                  <(sed "$seeds" "$OUT/qemu-dumpdtb.dts"); then
            same_dtb="yes (but /chosen kaslr-seed, rng-seed)"
        else
            same_dtb=no
        fi
    fi
fi
if [ -f "$OUT/devicetree.tar" ]; then
    rm -rf "$RUN/dt"; mkdir -p "$RUN/dt"
    tar -xf "$OUT/devicetree.tar" -C "$RUN/dt"
    dtc -q -s -I fs -O dts -o "$OUT/devicetree.dts" "$RUN/dt/base"
    rm "$OUT/devicetree.tar"
fi
{
    echo "kernel_package=$KPKG"
    echo "kernel_deb=$(basename "$DEB")"
    echo "kernel_image=${IMAGE/#$WORK/\$WORK}"
    echo "accel=tcg cpu=$CPU smp=$SMP mem=$MEM"
    echo "qemu=$(qemu-system-aarch64 --version | head -1)"
    echo "qemu_wall_seconds=$BOOT_S"
    echo "qemu_rc=$RC"
    echo "guest_done_line=$(grep -a 'init: done' "$OUT/console.log" | tail -1 | tr -d '\r')"
    echo "qemu_dumpdtb_same_as_booted_fdt=$same_dtb"
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
} > "$OUT/run-info.txt"
cat "$OUT/run-info.txt"
log "results in $OUT"
