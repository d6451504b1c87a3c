#!/usr/bin/env python3
"""Render an ix package the way ix renders its templates.

    scripts/ix-render.py [--templates PKGS]... <ix checkout> <package> [--FLAG[=V]]...
    scripts/ix-render.py [--templates PKGS]... --json <ix checkout> <package> [--FLAG[=V]]...

<package> is a path under pkgs/ (e.g. bin/kernel/6/12/mybox, bin/kfit);
`--FLAG[=V]` after it are the package's flags as ix's command line gives
them (`ix mut system bin/kfit --doc`: doc = '1'; core/lex.py).
Without --json: a kernel package; print the `.config` text its build writes
(t/0/ix.sh's `configure` block: `cat << EOF > .config ... EOF`).
With --json: print the package's whole descriptor (build script, build
data and dependencies, name and version) as ix's RenderContext.render makes
it; this needs ix's `die/` templates (give them with --templates).

--templates PKGS: another pkgs/ directory searched after the checkout's
(e.g. crates/cli/tests/data/ix/pkgs, ix's die/ templates at a known commit).

ix's template semantics (pg83/ix core/j2.py and core/render_ctx.py,
described here, not copied):
  * template names are paths under pkgs/; `//x` means pkgs/x, any other name
    is relative to the directory of the template that names it; `x/base64`
    is x's text base64-encoded;
  * `{% include '...' %}` on a line of its own is replaced by the included
    file's text (stripped) before Jinja2 sees the template, recursively, so
    an included ver.sh's blocks become blocks of the including template;
  * Environment(trim_blocks=True, lstrip_blocks=True) with ix's filters
    (fix_list, parse_list, list_to_json, parse_urls, b64e, jd, ...);
  * the context: the package's name and kind (`bin: True` for bin/ and
    bld/ packages), the target's and host's descriptions (`target.rust`,
    `target.exe_suffix`, ...: ix's core/config.py `enrich` of the build
    machine's os and arch), the os and arch as true flags;
  * the rendered text has its runs of blank lines collapsed and is the
    package descriptor (JSON).
Without --templates, templates under die/ that the checkout lacks are
stood in for by an empty `configure` block: only a kernel config renders.

Needs python3-jinja2 (Debian) or jinja2 from PyPI.
"""

import base64
import json
import os
import platform
import sys

import jinja2


# ---------------------------------------------------------------- filters


def preproc(text):
    """Lines of `text` stripped, without empty and `#` lines."""
    out = []
    for line in text.split("\n"):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def fix_list(text):
    out = " ".join(preproc(text))
    while "  " in out:
        out = out.replace("  ", " ")
    return out


def parse_list(text):
    return [x for x in fix_list(text).split(" ") if x]


def parse_urls(text):
    out, cur = [], {}
    for w in fix_list(text).split(" "):
        if "://" in w:
            cur["url"] = w
        else:
            cur["md5"] = w[4:] if w.startswith("sha:") else w
        if len(cur) == 2:
            out.append(cur)
            cur = {}
    return out


def b64e(text):
    return base64.b64encode(text.encode()).decode()


FILTERS = {
    "fix_list": fix_list,
    "parse_list": parse_list,
    "parse_urls": parse_urls,
    "preproc": preproc,
    "list_to_json": lambda text: json.dumps(preproc(text)),
    "b64e": b64e,
    "b64d": lambda text: base64.b64decode(text).decode(),
    "jd": json.dumps,
    "jl": json.loads,
    "basename": os.path.basename,
    "dirname": os.path.dirname,
    "lines": lambda text: list(text.strip().split("\n")),
    "strip": lambda text: text.strip(),
    "strip_prefix": lambda v, p: v[len(p):] if v.startswith(p) else v,
    "strip_suffix": lambda v, s: v[: -len(s)] if s and v.endswith(s) else v,
    "field": lambda v, n: v.split(".")[n],
    "add": lambda v, n: int(v) + int(n),
    "pad": lambda v, n: v + "0" * max(0, n - len(v)),
    "fjoin": lambda v, sep: sep.join(v),
}


# ---------------------------------------------------------------- loader


def include_target(line):
    s = line.strip()
    if not s.startswith("{% include"):
        return None
    q = s.find("'")
    if q < 0:
        return None
    rest = s[q + 1:]
    return rest[: rest.find("'")]


class IxLoader(jinja2.BaseLoader):
    STUB = "{% block configure %}{% endblock %}\n"

    def __init__(self, roots, stub_die):
        self.roots = roots
        self.stub_die = stub_die

    @staticmethod
    def norm(name):
        return name[2:] if name.startswith("//") else name

    def text(self, name):
        name = self.norm(name)
        if name.endswith("/base64"):
            return b64e(self.text(name[: -len("/base64")]))
        path = next(
            (os.path.join(r, name) for r in self.roots if os.path.isfile(os.path.join(r, name))),
            None,
        )
        if path is None:
            if self.stub_die and name.startswith("die/"):
                return self.STUB
            raise jinja2.TemplateNotFound(name)
        with open(path, encoding="utf-8") as f:
            data = f.read()
        lines = []
        for line in data.split("\n"):
            inc = include_target(line)
            if inc is None:
                lines.append(line)
            else:
                lines.append(self.text(self.join(inc, name)).strip())
        return "\n".join(lines)

    @staticmethod
    def join(target, parent):
        if target.startswith("//"):
            return target
        return os.path.join(os.path.dirname(IxLoader.norm(parent)), target)

    def get_source(self, environment, template):
        return self.text(template), template, lambda: True


class IxEnv(jinja2.Environment):
    def join_path(self, template, parent):
        return IxLoader.join(template, parent)


# ---------------------------------------------------------------- context


def machine():
    """This machine as ix's core/config.py describes a linux host after
    `enrich` (the fields the templates read)."""
    arch = {"aarch64": "arm64", "amd64": "x86_64"}.get(platform.machine(), platform.machine())
    gnu_arch = {"arm64": "aarch64"}.get(arch, arch)
    d = {
        "os": "linux",
        "kernel": "linux",
        "obj_fmt": "elf",
        "cmake_system_name": "Linux",
        "arch": arch,
        "gnu_arch": gnu_arch,
        "vendor": "unknown",
        "rust_os": "linux-musl",
        "exe_suffix": "",
        "dl_suffix": "so",
        "endian": "little",
        "bits": 64 if "64" in arch + gnu_arch else 32,
        "linux_arch": {"aarch64": "arm64", "riscv64": "riscv", "armv7": "arm"}.get(gnu_arch, gnu_arch),
    }
    d["gnu"] = {"three": f"{gnu_arch}-unknown-linux"}
    d["gnu"]["four"] = d["gnu"]["three"] + "-elf"
    d["rust"] = f"{gnu_arch}-{d['vendor']}-{d['rust_os']}"
    return d


def context(pkg, flags):
    """What ix's RenderContext.template passes for package `pkg` built for
    this machine, with the package's `flags` over it."""
    m = machine()
    first = pkg.split("/")[0]
    kind = "bin" if first in ("bin", "bld", "etc") else first
    return {
        "name": pkg,
        "basename": os.path.basename(pkg),
        "host": m,
        "target": m,
        "tool": pkg.startswith("bld/"),
        "boot": pkg.startswith("bld/boot/"),
        "native": True,
        "kind": kind,
        kind: True,
        m["os"]: True,
        m["arch"]: True,
    } | flags


def render(roots, pkg, flags, stub_die):
    env = IxEnv(
        loader=IxLoader(roots, stub_die),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    out = env.get_template(pkg + "/ix.sh").render(context(pkg, flags))
    while "\n\n\n" in out:
        out = out.replace("\n\n\n", "\n\n")
    return out


def main():
    args = sys.argv[1:]
    templates, as_json, rest, flags = [], False, [], {}
    while args:
        a = args.pop(0)
        if len(rest) == 2 and a.startswith("--"):
            k, _, v = a[2:].partition("=")
            flags[k] = v if "=" in a else "1"
        elif a == "--templates" and args:
            templates.append(args.pop(0))
        elif a == "--json":
            as_json = True
        else:
            rest.append(a)
    if len(rest) != 2:
        sys.exit(__doc__)
    root, pkg = rest[0], rest[1].strip("/")
    roots = [os.path.join(root, "pkgs")] + templates
    out = render(roots, pkg, flags, stub_die=not templates)
    if as_json:
        try:
            descr = json.loads(out)
        except ValueError as e:
            sys.exit(f"ix-render: {pkg}: the rendered package is not ix's JSON descriptor: {e}")
        json.dump(descr, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return
    head = "cat << EOF > .config\n"
    start = out.find(head)
    end = out.find("\nEOF", start)
    if start < 0 or end < 0:
        sys.exit("ix-render: no `cat << EOF > .config` in the rendered configure block")
    sys.stdout.write(out[start + len(head): end + 1])


if __name__ == "__main__":
    main()
