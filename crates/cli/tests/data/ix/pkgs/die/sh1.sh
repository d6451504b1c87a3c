{% extends 'sh0.sh' %}

{% block script_body_sh %}
{{super()}}
{% block script_functions %}
{% endblock %}
{% block script_prologue %}
{% endblock %}
{% block script_init_env %}
{% endblock %}
{% block script_main %}
{% endblock %}
{% endblock %}
