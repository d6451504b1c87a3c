# kfit profile: one requirement a line, `SYMBOL=VALUE  where it comes from`.
# name: ix
# about: what every kernel for stal/IX must have (ix's kernel guide); on by default with --ix
# The guide (stal-ix.github.io KERNEL.md, mid-2025) as summarised in ../shared/notes/ix-today.md:44-46:
# "MGLRU enabled, transparent huge pages enabled, cgroup v2, the usual pseudo filesystems (proc,
# debugfs, sysfs, devpts, tmpfs), zram, statically linked, firmware built in; and don't forget
# cgroups, user namespaces, network namespaces".
LRU_GEN=y                 ix kernel guide: "MGLRU enabled" (ix-today.md:44); mm/Kconfig:1283
LRU_GEN_ENABLED=y         ix kernel guide: "MGLRU enabled" (ix-today.md:44): on at boot, not only built (mm/Kconfig:1292)
TRANSPARENT_HUGEPAGE=y    ix kernel guide: "transparent huge pages enabled" (ix-today.md:44)
CGROUPS=y                 ix kernel guide: "cgroup v2", "don't forget cgroups" (ix-today.md:44,46); kernel/cgroup/cgroup.c registers "cgroup2" (built with CGROUPS)
PROC_FS=y                 ix kernel guide: pseudo filesystem "proc" (ix-today.md:45)
DEBUG_FS=y                ix kernel guide: pseudo filesystem "debugfs" (ix-today.md:45)
SYSFS=y                   ix kernel guide: pseudo filesystem "sysfs" (ix-today.md:45)
UNIX98_PTYS=y             ix kernel guide: pseudo filesystem "devpts" (ix-today.md:45); fs/Makefile: obj-$(CONFIG_UNIX98_PTYS) += devpts/
TMPFS=y                   ix kernel guide: pseudo filesystem "tmpfs" (ix-today.md:45)
ZRAM=y                    ix kernel guide: "zram" (ix-today.md:45)
MODULES=n                 ix kernel guide: "statically linked" (ix-today.md:45)
FW_LOADER=y               ix kernel guide: "firmware built in" (ix-today.md:45): the loader, built in; the files go in CONFIG_EXTRA_FIRMWARE (kfit fit --firmware-dir)
NAMESPACES=y              ix kernel guide: "user namespaces, network namespaces" (ix-today.md:46); init/Kconfig: menuconfig NAMESPACES
USER_NS=y                 ix kernel guide: "user namespaces" (ix-today.md:46)
NET_NS=y                  ix kernel guide: "network namespaces" (ix-today.md:46)
