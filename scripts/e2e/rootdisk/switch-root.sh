
# ---- rootdisk (scripts/e2e/rootdisk/switch-root.sh, appended to the
# reference init after its coldplug): what a distro initramfs does next.
# Load the root's filesystem type (root= and rootfstype= from the kernel
# command line), wait for the device, mount it and switch_root into it.
root=/dev/vda1 fstype=ext4
for a in $(cat /proc/cmdline); do
    case $a in
        root=*) root=${a#root=};;
        rootfstype=*) fstype=${a#rootfstype=};;
    esac
done
modprobe -q "$fstype" 2>>/tmp/modprobe.err || true
i=0
while [ ! -b "$root" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p /newroot
if ! mount -t "$fstype" -o rw "$root" /newroot; then
    echo "init: cannot mount $root ($fstype)"
    poweroff -f
fi
echo "init: mounted $root ($fstype) t=$(cut -d' ' -f1 /proc/uptime)s; switch_root"
# The initramfs's own coldplug record goes along to the results.
mkdir -p /newroot/out
cp /tmp/modprobe.err /newroot/out/initramfs-modprobe-errors.txt
grep -v "^#$" $SEEN > /newroot/out/initramfs-modalias-seen.txt
umount -l /sys; umount -l /dev; umount -l /proc
exec switch_root /newroot /init
