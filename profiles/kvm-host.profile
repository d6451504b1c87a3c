# kfit profile: one requirement a line, `SYMBOL=VALUE  where it comes from`.
# name: kvm-host
# about: run QEMU/KVM guests: KVM for both x86 vendors, vhost-net, tap and bridge networking, VFIO passthrough
# Each line cites the Kconfig entry (Linux 6.12) whose help text states what it is for.
VIRTUALIZATION=y    arch/x86/kvm/Kconfig:8 menuconfig VIRTUALIZATION (the menu KVM lives in)
KVM=y               arch/x86/kvm/Kconfig:50 "Kernel-based Virtual Machine (KVM) support"
KVM_INTEL=y         arch/x86/kvm/Kconfig:93 "KVM for Intel (and compatible) processors support"
KVM_AMD=y           arch/x86/kvm/Kconfig:130 "KVM for AMD processors support"
VHOST_NET=y         drivers/vhost/Kconfig:34 "Host kernel accelerator for virtio net" (QEMU -netdev tap,vhost=on)
TUN=y               drivers/net/Kconfig:394 "Universal TUN/TAP device driver support" (QEMU -netdev tap)
BRIDGE=y            net/bridge/Kconfig:6 "802.1d Ethernet Bridging" (guests on the host's LAN)
VFIO_PCI=y          drivers/vfio/pci/Kconfig:18 "Generic VFIO support for any PCI device" (device passthrough)
