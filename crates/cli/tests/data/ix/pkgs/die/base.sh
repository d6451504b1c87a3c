{% extends 'sh.sh' %}

{% block script_functions %}
{{super()}}

step_unpack() {
export IX_STEP=unpack
{% block step_unpack %}
{% block unpack %}
echo 'no unpack'
{% endblock %}
{% endblock %}
}

step_patch() (
export IX_STEP=patch
{% block step_patch %}
{% block patch %}
echo 'no patch'
{% endblock %}
{% endblock %}
)

step_setup() {
export IX_STEP=setup
{% block step_setup %}
echo 'no setup'
{% endblock %}
}

step_configure() (
export IX_STEP=configure
{% block configure %}
echo 'no configure'
{% endblock %}
)

step_build() (
export IX_STEP=build
{% block step_build %}
{% block build %}
echo 'no build'
{% endblock %}
{% endblock %}
)

step_test() (
export IX_STEP=test
{% block test %}
echo 'no tests'
{% endblock %}
)

step_install() (
export IX_STEP=install
{% block step_install %}
echo 'no install'
{% endblock %}
)

do_unpack() {
    step_unpack
}

do_setup() {
    do_unpack
    step_setup
}

do_patch() {
    do_setup
    step_patch
}

do_configure() {
    do_patch
    step_configure
}

do_build() {
    do_configure
    step_build
}

do_install() {
    do_build
    step_install
}

do_test() {
    do_install
    step_test
}

do_execute() {
    do_test
}
{% endblock %}

{% block sh_script %}
do_{{stage or 'execute'}}
{% endblock %}
