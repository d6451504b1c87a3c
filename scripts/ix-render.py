#!/usr/bin/env python3
"""Render an ix kernel package's config the way ix renders its templates,
and print the `.config` text its build writes (t/0/ix.sh's `configure`
block: `cat << EOF > .config ... EOF`).

    scripts/ix-render.py <ix checkout> <package path, e.g. bin/kernel/6/12/mybox>

ix's template semantics (core/j2.py of ix, described here, not copied):
  * template names are paths under pkgs/; `//x` means pkgs/x, any other name
    is relative to the directory of the template that names it;
  * `{% include '...' %}` on a line of its own is replaced by the included
    file's text (stripped) before Jinja2 sees the template, recursively, so
    an included ver.sh's blocks become blocks of the including template;
  * Environment(trim_blocks=True, lstrip_blocks=True); the filter
    `fix_list` drops empty and `#` lines, joins the rest with one space.
Templates outside the copy (`//die/...`) are stood in for by an empty
`configure` block: only the config text is rendered.

Needs python3-jinja2 (Debian) or jinja2 from PyPI.
"""

import os
import sys

import jinja2


def fix_list(text):
    words = []
    for line in text.split("\n"):
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line)
    out = " ".join(words)
    while "  " in out:
        out = out.replace("  ", " ")
    return out


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

    def __init__(self, pkgs):
        self.pkgs = pkgs

    @staticmethod
    def norm(name):
        return name[2:] if name.startswith("//") else name

    def text(self, name):
        name = self.norm(name)
        path = os.path.join(self.pkgs, name)
        if not os.path.isfile(path):
            if name.startswith("die/"):
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


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, pkg = sys.argv[1], sys.argv[2].strip("/")
    env = IxEnv(
        loader=IxLoader(os.path.join(root, "pkgs")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fix_list"] = fix_list
    out = env.get_template(pkg + "/ix.sh").render()
    head = "cat << EOF > .config\n"
    start = out.find(head)
    end = out.find("\nEOF", start)
    if start < 0 or end < 0:
        sys.exit("ix-render: no `cat << EOF > .config` in the rendered configure block")
    sys.stdout.write(out[start + len(head): end + 1])


if __name__ == "__main__":
    main()
