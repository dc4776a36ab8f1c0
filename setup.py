"""Build hook for the optional compiled scoring kernel (everything else is in pyproject.toml).

``retrieval._kernel`` is built when a C compiler and Python headers are available;
without them the install still succeeds and ranking uses the numpy path (same results).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("retrieval._kernel", ["retrieval/_kernel.c"], optional=True,
                             extra_compile_args=["-O2", "-ffp-contract=off"])])  # no fused multiply-add: the same floats as numpy
