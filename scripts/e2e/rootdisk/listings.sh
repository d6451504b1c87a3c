# ---- rootdisk (scripts/e2e/rootdisk/listings.sh, inserted into the
# reference init before its dmesg): what the machine runs on.
# The guest runs no udev, and lsblk reads FSTYPE and PTTYPE from udev's
# database only: record there what udev's builtin blkid would
# (`blkid -p -o udev`: ID_FS_TYPE, ID_PART_TABLE_TYPE, ...) for every block
# device, as E: lines of /run/udev/data/b<major>:<minor>.
mkdir -p /run/udev/data
for b in /sys/class/block/*; do
    read -r mm < "$b/dev" || continue
    blkid -p -o udev "/dev/${b##*/}" 2>/dev/null | sed 's/^/E:/' > /tmp/udev-db
    [ -s /tmp/udev-db ] && cp /tmp/udev-db "/run/udev/data/b$mm"
done
cat /proc/mounts > $O/mounts.txt
cat /proc/filesystems > $O/filesystems.txt
lsblk -o NAME,MAJ:MIN,RM,SIZE,RO,TYPE,FSTYPE,PTTYPE,MOUNTPOINTS > $O/lsblk.txt 2>&1
