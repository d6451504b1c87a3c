#!/usr/bin/env bash
# Run every kfit test: formatting, lints, unit tests, and the integration tests
# against real Debian kernel sources (fetched once and cached in ~/.cache/kfit).
#
# This is the README's test command and what .ci/run calls. Works on a fresh
# Debian 12 machine as root (installs its own packages).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "kernel trees and Debian ground truth (cached in ${KFIT_CACHE:-~/.cache/kfit})"
scripts/fetch-kernels.sh 6.12 6.1 6.12-arm64
if [ -x scripts/kconfig-oracle.sh ]; then
    step "conf --olddefconfig oracle outputs"
    scripts/kconfig-oracle.sh
fi
if [ -x scripts/fetch-firmware.sh ]; then
    step "linux-firmware sizes"
    scripts/fetch-firmware.sh
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --release -- -D warnings

step "cargo test (release: the real-tree tests evaluate 17k-symbol Kconfigs many times)"
cargo test --workspace --release

# The QEMU end-to-end proof (issue 8) builds and boots a kernel: ~20 min cold
# on 2 idle cores, so it runs only when asked for.
if [ "${KFIT_E2E:-0}" = 1 ]; then
    step "end to end: fit, build and boot the q35 machine (scripts/e2e-qemu.sh)"
    scripts/e2e-qemu.sh
fi
