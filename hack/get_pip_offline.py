"""Stand-in for get-pip.py, for ansible-test's sanity virtual environments.

ansible-test bootstraps pip in each sanity venv by downloading get-pip.py from
ci-files.testing.ansible.com, which our machines cannot reach (PyPI they can). This script does
the same job: it installs pip with the interpreter's own ensurepip, then runs
`pip install <the arguments ansible-test passed>` (such as `pip==24.2`) against PyPI.
hack/run-tests.sh places it where ansible-test looks for a cached copy.
"""

import ensurepip
import os
import runpy
import sys

# get-pip.py's own switches, which pip install does not know.
OWN_SWITCHES = {"--no-setuptools", "--no-wheel"}

# ensurepip hides pip's configuration (it sets PIP_CONFIG_FILE to /dev/null in this process);
# the pip install below must see it again, for instance the machine's certificate settings.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
os.environ.clear()
os.environ.update(environment)
sys.argv = ["pip", "install"] + [arg for arg in sys.argv[1:] if arg not in OWN_SWITCHES]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
