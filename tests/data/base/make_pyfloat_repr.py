#!/usr/bin/python3
"""Write pyfloat-repr.txt: CPython's repr(float) of a set of doubles, the reference that
tests/test_base.c holds base/pyfloat.c to. Every power of two (where a shortest-digits search
most easily goes wrong), random bit patterns, uniform values, 17-digit integers (where %g stops
being positional) and the special values. Deterministic (a fixed seed).

    /usr/bin/python3 tests/data/base/make_pyfloat_repr.py > tests/data/base/pyfloat-repr.txt
"""
import math
import platform
import random
import struct

random.seed(20261207)
vals = [math.ldexp(1.0, e) for e in range(-1074, 1024)]
for _ in range(3000):
    while True:
        x = struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0]
        if math.isfinite(x):
            break
    vals.append(x)
vals += [random.uniform(0, 1e6) for _ in range(1000)]
vals += [float(random.randrange(10**16, 10**17)) for _ in range(1000)]
vals += [random.uniform(1e-5, 1e-3) for _ in range(500)]
vals += [0.0, -0.0, math.inf, -math.inf, math.nan, 0.1, 1e16, 1e-5, 1e-4, 400.0,
         123456789012345680.0, 5e-324, 1.7976931348623157e308]
print("# CPython %s repr(float) of each double (its bits in hex); made by make_pyfloat_repr.py"
      % platform.python_version())
for x in vals:
    print("%016x %s" % (struct.unpack("<Q", struct.pack("<d", x))[0], repr(x)))
