# kfit profile: one requirement a line, `SYMBOL=VALUE  where it comes from`.
# name: minimal-boot
# about: what any kernel needs to start a userspace init and show its console
# Each line cites the Kconfig entry (Linux 6.12) whose help text says why.
BINFMT_ELF=y           fs/Kconfig.binfmt:5 "Kernel support for ELF binaries" (init and every program are ELF)
BINFMT_SCRIPT=y        fs/Kconfig.binfmt:99 "Kernel support for scripts starting with #!" (init scripts)
DEVTMPFS=y             drivers/base/Kconfig:31 "Maintain a devtmpfs filesystem to mount at /dev"
DEVTMPFS_MOUNT=y       drivers/base/Kconfig:50 "Automount devtmpfs at /dev, after the kernel mounted the rootfs"
PROC_FS=y              fs/proc/Kconfig:2 "/proc file system support" (ps, mount, init scripts)
SYSFS=y                fs/sysfs/Kconfig:2 "sysfs file system support" (device discovery)
TTY=y                  drivers/tty/Kconfig:2 "Enable TTY" (a console and terminals)
VT_CONSOLE=y           drivers/tty/Kconfig:52 "Support for console on virtual terminal" (the screen console)
SERIAL_8250_CONSOLE=y  drivers/tty/serial/8250/Kconfig:87 "Console on 8250/16550 and compatible serial port"
PRINTK=y               init/Kconfig:1632 "Enable support for printk" (boot messages)
FUTEX=y                init/Kconfig:1677 "Enable futex support" (threaded userspace, glibc and musl)
EPOLL=y                init/Kconfig:1692 "Enable eventpoll support"
SHMEM=y                init/Kconfig:1726 "Use full shmem filesystem" (tmpfs, shared memory)
UNIX=y                 net/unix/Kconfig:6 "Unix domain sockets" (syslog, udev, most daemons)
