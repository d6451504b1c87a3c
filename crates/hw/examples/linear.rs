//! Time to read synthetic listings of growing size (5, 25, 50 MB by
//! default), per format: the ratio time/size must stay flat (linear
//! readers). Not a test (timings), a measurement:
//! `cargo run -p kfit-hw --release --example linear [MB...]`.
use std::time::Instant;

fn repeat(unit: impl Fn(usize) -> String, mb: usize) -> String {
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
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![5, 25, 50] } else { sizes };
    let slot = |i: usize| {
        format!(
            "{:04x}:{:02x}:{:02x}.{}",
            i >> 16,
            (i >> 8) & 0xff,
            (i >> 3) & 0x1f,
            i & 7
        )
    };
    type Gen = Box<dyn Fn(usize) -> String>;
    let forms: Vec<(&str, Gen)> = vec![
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
    ];
    println!(
        "{:<24} {:>6} {:>9} {:>9} {:>9} {:>8}",
        "form", "MB", "cpu ms", "cpu ms/MB", "wall ms", "devices"
    );
    for (name, f) in &forms {
        for &mb in &sizes {
            let text = if *name == "lsmod" {
                format!("Module                  Size  Used by\n{}", repeat(f, mb))
            } else {
                repeat(f, mb)
            };
            let (t, c) = (Instant::now(), cpu_ms());
            let r = kfit_hw::read_str(&text, "synthetic");
            let wall = t.elapsed().as_secs_f64() * 1000.0;
            let ms = cpu_ms() - c;
            let n = match &r {
                Ok((m, _)) => m.devices.len() + m.loaded_modules.len(),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    0
                }
            };
            println!(
                "{name:<24} {mb:>6} {ms:>9.0} {:>9.1} {wall:>9.0} {n:>8}",
                ms / mb as f64
            );
        }
    }
}
