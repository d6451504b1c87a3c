#!/usr/bin/env python3
"""Benchmarks (timings, not tests) of kfit beside the kernel's own tools, in one run.

    scripts/bench.sh [JOB ...]       (jobs: index fit kconfig hw fleet; default all)

Linux 6.12 (scripts/fetch-kernels.sh), on a hard-link copy of the tree (the
incremental job replaces one file of the copy, never of the cached tree) and
a private cache directory (a really cold index; your own caches untouched).
Every figure is a whole process: wall (monotonic clock around fork/wait),
user and sys CPU and peak RSS from wait4 of that child. Pairs run in turn
(A B A B ...) after one warm-up each; the ratio is taken pair by pair and its
median printed, so it holds while the machine's speed drifts. The load
average is printed with each job: on a shared machine, quote ratios.

Env: RUNS (default 7), COLD_RUNS (default 3), KFIT_BIN (default: build
target/release/kfit), KFIT_CACHE (where the trees are; default ~/.cache/kfit),
DROP_CACHES=1 (drop the page cache before each cold index: needs root).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(os.environ.get("RUNS", "7"))
COLD_RUNS = int(os.environ.get("COLD_RUNS", "3"))
JOBS = ["index", "fit", "kconfig", "hw", "fleet"]


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


def run(cmd, setup=None, env=None):
    """One whole-process run: (wall s, user s, sys s, peak RSS MiB)."""
    if setup:
        setup()
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.exit("bench: %s exited %d" % (" ".join(cmd), p.returncode))
    return (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss / 1024)


def med(xs):
    return statistics.median(xs)


def figures(runs):
    return {k: med([r[i] for r in runs]) for i, k in enumerate(["wall", "user", "sys", "rss"])}


def series(name, a, setup_a=None, env=None, runs=RUNS):
    """`runs` runs of one command after a warm-up."""
    run(a, setup_a, env)
    ra = [run(a, setup_a, env) for _ in range(runs)]
    return {"job": name, "a": figures(ra), "n": runs}


def pair(name, a, b, setup_a=None, setup_b=None, env_a=None, env_b=None, ref=""):
    """A and B in turn; ratio B/A (how many times faster kfit is) pair by pair."""
    env_b = env_b or env_a
    run(a, setup_a, env_a)
    run(b, setup_b, env_b)
    ra, rb = [], []
    for _ in range(RUNS):
        ra.append(run(a, setup_a, env_a))
        rb.append(run(b, setup_b, env_b))
    return {"job": name, "a": figures(ra), "b": figures(rb), "ref": ref, "n": RUNS,
            "ratio": med([y[0] / x[0] for x, y in zip(ra, rb)]),
            "ratio_cpu": med([(y[1] + y[2]) / (x[1] + x[2]) for x, y in zip(ra, rb)])}


def row(r, target=""):
    a = r["a"]
    ref = ratio = ""
    if "b" in r:
        b = r["b"]
        ref = "%s: %.3f s (user %.3f, sys %.3f, %.0f MiB)" % (r["ref"], b["wall"], b["user"], b["sys"], b["rss"])
        ratio = "%.1fx (CPU %.1fx)" % (r["ratio"], r["ratio_cpu"])
    print("| %s | %.3f s | %.3f s | %.3f s | %.0f MiB | %s | %s | %s | %s |" % (
        r["job"], a["wall"], a["user"], a["sys"], a["rss"], ref, ratio, target, r["load"]), flush=True)


def main():
    jobs = sys.argv[1:] or JOBS
    for j in jobs:
        if j not in JOBS:
            sys.exit("bench: unknown job %s (jobs: %s)" % (j, " ".join(JOBS)))
    cache = os.environ.get("KFIT_CACHE") or os.path.expanduser("~/.cache/kfit")
    envf = os.path.join(cache, "env", "6.12")
    if not os.path.exists(envf):
        subprocess.run(["bash", os.path.join(ROOT, "scripts/fetch-kernels.sh"), "6.12"], check=True)
    kenv = dict(l.split("=", 1) for l in open(envf).read().splitlines() if "=" in l)
    tree, build, kver = kenv["TREE"], kenv["BUILD"], kenv["KVER"]
    kfit = os.environ.get("KFIT_BIN")
    if not kfit:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kfit"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
        kfit = os.path.join(target, "release", "kfit")

    w = tempfile.mkdtemp(prefix="kfit-bench-")
    try:
        bench(jobs, kfit, tree, build, kver, w)
    finally:
        shutil.rmtree(w, ignore_errors=True)


def bench(jobs, kfit, tree, build, kver, w):
    copy = os.path.join(w, "linux")
    subprocess.run(["cp", "-al", tree, copy], check=True)
    env = dict(os.environ, KFIT_CACHE=os.path.join(w, "cache"))
    seed = os.path.join(ROOT, "examples/seed")
    base = os.path.join(w, "base.config")
    shutil.copy(os.path.join(build, "x86_64_defconfig.config"), base)
    print("kfit benchmarks, Linux %s (a hard-link copy of %s), %d CPUs, %d runs each (pairs alternating), "
          "medians; load average at start: %s" % (kver, tree, os.cpu_count(), RUNS, load()))
    print()
    print("| job | kfit wall | user | sys | peak RSS | reference (same run) | reference / kfit | target | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    idx = [kfit, "index", "--tree", copy, "--quiet"]

    def drop():
        if os.environ.get("DROP_CACHES") == "1":
            subprocess.run(["sync"])
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")

    # The index first: the fit and fleet jobs need it (and this makes it cold).
    if "index" in jobs:
        l0 = load()
        r = series("cold index of the whole tree (page cache %s)" % (
            "dropped" if os.environ.get("DROP_CACHES") == "1" else "warm"),
            idx + ["--rebuild"], drop, env, runs=COLD_RUNS)
        r["load"] = l0 + " / " + load()
        row(r, "<= 3 s, <= 300 MiB (LKDDb: 630 s)")
    elif "fit" in jobs or "fleet" in jobs:
        run(idx, None, env)
    if "index" in jobs:
        l0 = load()
        r = series("cached index load (`kfit index`)", idx, None, env)
        r["load"] = l0 + " / " + load()
        row(r)

    if "fit" in jobs:
        lsmod = os.path.join(w, "lsmod")
        with open(lsmod, "w") as f:
            f.write("Module Size Used by\n")
            # the seed's modules, as localyesconfig needs them (lsmod lines)
            for m in ["amdgpu", "nvme", "amd_sfh", "snd_pci_acp3x", "iwlwifi", "xhci_pci", "snd_hda_intel",
                      "ccp", "i2c_piix4", "k10temp", "ahci"]:
                f.write("%s 16384 0\n" % m)
        o = os.path.join(w, "o")

        def fresh_o():
            shutil.rmtree(o, ignore_errors=True)
            os.makedirs(o)
            shutil.copy(base, os.path.join(o, ".config"))
        fit = [kfit, "fit", os.path.join(seed, "lspci-k.txt"), "--tree", copy, "--base", base, "--cc", "gcc",
               "-o", os.path.join(w, "kfit.config")]
        lyc = ["make", "-s", "-C", copy, "O=" + o, "ARCH=x86", "LSMOD=" + lsmod, "localyesconfig"]
        l0 = load()
        r = pair("`kfit fit` of the seed laptop (index, model cached)", fit, lyc, None, fresh_o, env,
                 ref="`make localyesconfig`")
        r["load"] = l0 + " / " + load()
        row(r, "<= 50 ms, >= 40x, <= 64 MiB")

    if "kconfig" in jobs:
        cfg = os.path.join(seed, "cfg_6_16")
        out = os.path.join(w, "kfit-odc.config")
        conf_cfg = os.path.join(w, "conf.config")
        cc_version = subprocess.run(["sh", "-c", "LC_ALL=C gcc --version 2>/dev/null | head -n 1"],
                                    capture_output=True, text=True).stdout.strip()
        conf_env = dict(env, KCONFIG_CONFIG=conf_cfg, srctree=copy, ARCH="x86", SRCARCH="x86",
                        KERNELVERSION=kver, CC="gcc", LD="ld", HOSTCC="gcc", CC_VERSION_TEXT=cc_version,
                        RUSTC="rustc", BINDGEN="bindgen", OBJCOPY="objcopy", NM="nm", PAHOLE="pahole")
        odc = [kfit, "kconfig", "olddefconfig", "--tree", copy, "--config", cfg, "--cc", "gcc", "-o", out]
        conf = ["sh", "-c", 'cd "$1" && exec "$0" --olddefconfig Kconfig',
                os.path.join(build, "scripts/kconfig/conf"), w]
        l0 = load()
        # conf runs with the environment make gives it (srctree, CC_VERSION_TEXT...).
        r = pair("`kfit kconfig olddefconfig` (ix's cfg_6_16)", odc, conf, None,
                 lambda: shutil.copy(cfg, conf_cfg), env, conf_env, "`conf --olddefconfig`")
        r["load"] = l0 + " / " + load()
        same = open(out, "rb").read() == open(conf_cfg, "rb").read()
        r["job"] += " (output %s)" % ("byte-identical" if same else "DIFFERS")
        row(r, "<= 30 ms, >= 40x")

    if "hw" in jobs:
        l0 = load()
        r = series("`kfit hw` (this machine: /sys, /proc)", [kfit, "hw"], None, env)
        r["load"] = l0 + " / " + load()
        row(r, "<= 20 ms")

    if "fleet" in jobs:
        listings = fleet_listings(kfit)
        for n in [1, 10, 50, 100]:
            args = [listings[0]]
            for i in range(1, n):
                args += ["--machine", listings[i % len(listings)]]
            cmd = [kfit, "fit"] + args + ["--tree", copy, "--base", base, "--cc", "gcc",
                                          "-o", os.path.join(w, "fleet.config")]
            l0 = load()
            r = series("fleet: one kernel for %d machine%s (`--machine`)" % (n, "s"[:n > 1]), cmd, None, env,
                       runs=max(3, RUNS // 2))
            r["load"] = l0 + " / " + load()
            row(r, "<= 1 s, linear or better" if n == 100 else "")

    if "index" in jobs:
        # One driver source changes (a new file renamed over it, as editors
        # and patch do; the cached tree keeps its own inode): the next load
        # re-scans that file alone.
        f = os.path.join(copy, "drivers/net/vmxnet3/vmxnet3_drv.c")
        text = open(f, "rb").read()
        k = [0]

        def change():
            k[0] += 1
            tmp = f + ".kfit-bench"
            with open(tmp, "wb") as g:
                g.write(text + b"\n" * k[0])
            os.rename(tmp, f)
        l0 = load()
        r = series("incremental index after one file changed", idx, change, env)
        r["load"] = l0 + " / " + load()
        row(r, "<= 0.3 s")
    print()
    print("load average at the end: %s" % load())


def fleet_listings(kfit):
    """Every listing of the repository's test data and shared/hw that names
    devices: the q35 and seed machines, their information-removed variants
    and the format samples."""
    roots = [os.path.join(ROOT, "crates/hw/tests/data", d) for d in ["seed", "q35", "variants", "formats"]]
    roots.append(os.path.join(ROOT, "..", "shared", "hw"))
    files = []
    for r in roots:
        for d, _, fs in sorted(os.walk(r)):
            files += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".txt")]
    out = []
    for f in files:
        p = subprocess.run([kfit, "hw", "--json", f], capture_output=True, text=True)
        if p.returncode == 0 and '"bus"' in p.stdout:
            out.append(f)
    return out


if __name__ == "__main__":
    main()
