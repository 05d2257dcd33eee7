"""Build script for skxent's compiled kernels.

Design note
-----------
All kernels live in one extension module, ``skxent._core`` (``skxent/_core.pyx`` plus the C
headers it includes). Two build-time decisions are made here:

* OpenMP. We test-compile and link a tiny OpenMP program with the compiler setuptools will use
  (the same approach as scikit-learn's ``openmp_helpers``). When it works the extension is built
  with ``-fopenmp``; when it does not, the build goes on serially and says so loudly. At run time
  ``skxent.show_config()`` reports which one you got.
* Flags. ``-O3`` so the hand-written inner loops vectorise, but never ``-ffast-math``: it lets the
  compiler assume there is no inf/NaN, which breaks the ``-inf`` masking semantics and NaN
  propagation the API promises. Wider SIMD (AVX2, AVX-512) is selected at run time by
  ``target_clones`` in ``skxent/_simd.h``, so the wheel runs on any x86-64.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings

import numpy as np
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OPENMP_TEST = textwrap.dedent(
    """
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        printf("%d\\n", n > 0 && omp_get_max_threads() > 0);
        return 0;
    }
    """
)


def _openmp_flags(compiler):
    """Return (compile_args, link_args) for OpenMP, or (None, None) if unsupported."""
    if os.environ.get("SKXENT_NO_OPENMP"):
        return None, None
    ctype = getattr(compiler, "compiler_type", "")
    if ctype == "msvc":
        candidates = [(["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    for cflags, lflags in candidates:
        tmp = tempfile.mkdtemp()
        try:
            src = os.path.join(tmp, "omp_test.c")
            with open(src, "w") as f:
                f.write(OPENMP_TEST)
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
            exe = os.path.join(tmp, "omp_test")
            compiler.link_executable(objs, "omp_test", output_dir=tmp, extra_postargs=lflags)
            out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
            if out.strip() == "1":
                return cflags, lflags
        except Exception:  # noqa: BLE001 - any failure means "no OpenMP here"
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return None, None


class BuildExt(build_ext):
    def build_extensions(self):
        cflags, lflags = _openmp_flags(self.compiler)
        have_omp = cflags is not None
        if not have_omp:
            msg = (
                "\n" + "*" * 72 + "\n"
                "skxent: the C compiler cannot build OpenMP programs; building the\n"
                "kernels SERIAL (correct, but single-threaded). Install a compiler\n"
                "with OpenMP support (gcc, or clang + libomp) for parallel kernels.\n"
                + "*" * 72
            )
            warnings.warn(msg)
            print(msg, file=sys.stderr)
        for ext in self.extensions:
            if self.compiler.compiler_type != "msvc":
                ext.extra_compile_args += [
                    "-O3",
                    "-fno-math-errno",
                    "-fno-trapping-math",
                    "-Wno-unused-function",
                    "-Wno-unknown-pragmas",
                ]
            if have_omp:
                ext.extra_compile_args += cflags
                ext.extra_link_args += lflags
                ext.define_macros.append(("SKXENT_OPENMP", "1"))
        super().build_extensions()


def extensions():
    from Cython.Build import cythonize

    headers = [os.path.join("skxent", f) for f in os.listdir("skxent") if f.endswith(".h")]
    exts = [
        Extension(
            name,
            sources=[name.replace(".", "/") + ".pyx"],
            include_dirs=[np.get_include(), "skxent"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
            depends=headers,
        )
        # _brier: the Brier score kernel of skxent.metrics (skxent/_brier.h); _fused: the linear
        # models' fused pass (skxent/_fused.h)
        for name in ("skxent._core", "skxent._brier", "skxent._fused")
    ]
    return cythonize(
        exts,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
