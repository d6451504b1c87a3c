{% extends '//die/rust/cargo.sh' %}

{# kfit as an ix package: `ix mut system bin/kfit`. Copy this directory to
   pkgs/bin/kfit of an ix checkout. cargo_url and cargo_sha name a release
   tarball; packaging/ix/release.sh makes one and fills both blocks
   (see packaging/ix/README.md). #}

{% block pkg_name %}
kfit
{% endblock %}

{% block version %}
0.1.0
{% endblock %}

{% block cargo_url %}
https://RELEASE-HOST/kfit/kfit-{{self.version().strip()}}.tar.gz
{% endblock %}

{% block cargo_sha %}
0000000000000000000000000000000000000000000000000000000000000000
{% endblock %}

{# The workspace's one binary: cargo build --package kfit --bins. #}
{% block cargo_packages %}
kfit
{% endblock %}

{% block cargo_bins %}
kfit
{% endblock %}

{# The workspace declares rust-version = "1.86"; every locked dependency
   builds with it (crates/cli/tests/packaging.rs checks both). #}
{% block cargo_tool %}
bld/cargo/86
{% endblock %}

{# Completions and the man page come from the built binary itself (the
   same clap definitions as --help). ix's postinstall keeps share/ but
   moves share/man to doc/ and drops doc/ unless the package has ix's doc
   flag: `ix mut system bin/kfit --doc` keeps the man page (doc/man/man1).
   They need the built kfit to run here: not when ix cross-builds (its
   `native` is false when the target is not the build machine). #}
{% block install %}
{{super()}}
{% if native %}
mkdir -p ${out}/share/bash-completion/completions ${out}/share/zsh/site-functions ${out}/share/fish/vendor_completions.d ${out}/share/man/man1
${out}/bin/kfit completions bash > ${out}/share/bash-completion/completions/kfit
${out}/bin/kfit completions zsh > ${out}/share/zsh/site-functions/_kfit
${out}/bin/kfit completions fish > ${out}/share/fish/vendor_completions.d/kfit.fish
${out}/bin/kfit man > ${out}/share/man/man1/kfit.1
{% endif %}
{% endblock %}
