//! Synthetic listings of any size in the forms whose readers must stay
//! linear (issue 18: a 200 MB listing took 107 s): shared by the test
//! tests/linear.rs and the measurement examples/linear.rs.
#![allow(dead_code)]

pub fn repeat(unit: impl Fn(usize) -> String, mb: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < mb << 20 {
        s += &unit(i);
        i += 1;
    }
    s
}

/// This thread's CPU time (Linux schedstat, ns): unaffected by waiting on
/// a loaded machine, unlike wall time.
pub fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

pub type Gen = Box<dyn Fn(usize) -> String>;

/// (form, generator of its i-th unit).
pub fn forms() -> Vec<(&'static str, Gen)> {
    let slot = |i: usize| {
        format!(
            "{:04x}:{:02x}:{:02x}.{}",
            i >> 16,
            (i >> 8) & 0xff,
            (i >> 3) & 0x1f,
            i & 7
        )
    };
    vec![
        (
            "lspci -nnvk (bridges)",
            Box::new(move |i| {
                format!(
                    "{} PCI bridge [0604]: Intel Corporation Device [8086:{:04x}]\n\tSubsystem: Lenovo Device [17aa:5089]\n\tBus: primary=00, secondary={:02x}, subordinate={:02x}, sec-latency=0\n\tKernel driver in use: pcieport\n\tKernel modules: shpchp, pcieport\n",
                    slot(i), i & 0xffff, (i + 1) & 0xff, (i + 2) & 0xff
                )
            }),
        ),
        (
            "lspci plain (names)",
            Box::new(move |i| {
                format!(
                    "{} USB controller: Intel Corporation Comet Lake PCH-LP USB 3.1 xHCI Host Controller\n{} Network controller: Intel Corporation Comet Lake PCI Express Root Port #9 {i}\n",
                    slot(2 * i), slot(2 * i + 1)
                )
            }),
        ),
        (
            "lsusb -t",
            Box::new(|i| {
                format!(
                    "/:  Bus {:02}.Port 1: Dev 1, Class=root_hub, Driver=xhci_hcd/12p, 480M\n    |__ Port 3: Dev 5, If 0, Class=Human Interface Device, Driver=usbhid, 12M\n    |__ Port 3: Dev 5, If 1, Class=Human Interface Device, Driver=usbhid, 12M\n    ID 046d:c52b Logitech, Inc. Unifying Receiver\n",
                    i
                )
            }),
        ),
        (
            "modalias list",
            Box::new(|i| {
                format!(
                    "pci:v00008086d{:08X}sv000017AAsd00005089bc0Csc03i30\n",
                    i & 0xffff
                )
            }),
        ),
        (
            "dmesg",
            Box::new(move |i| {
                format!(
                    "[{i:5}.000000] pci {}: [8086:{:04x}] type 00 class 0x0c0330\n[{i:5}.100000] xhci_hcd {}: Direct firmware load for intel/fw{i}.bin failed with error -2\n",
                    slot(i), i & 0xffff, slot(i)
                )
            }),
        ),
        (
            "lsmod",
            Box::new(|i| format!("mod_{i}                 16384  0\n")),
        ),
    ]
}

/// A listing of `form` (from [`forms`]) of about `mb` MiB.
pub fn listing(name: &str, f: &Gen, mb: usize) -> String {
    if name == "lsmod" {
        format!("Module                  Size  Used by\n{}", repeat(f, mb))
    } else {
        repeat(f, mb)
    }
}
