/*
 * Upstream Go's own test tables for the parsers in models/autoscalers/gosem.h, transcribed as data
 * (no logic) so a test can run every row through go_parse_float, go_parse_int32, go_parse_bool and
 * go_parse_duration. Sources, all in golang/go (the stored copies read):
 *   src/strconv/atof_test.go  atoftests                at 1419445926fe9424dad72b82344c6f52b0679cf3
 *   src/strconv/atoi_test.go  parseInt32Tests          at 1ad1d615b8b1e19e5e4e3ad1cd908a03997aaa51
 *   src/strconv/atob_test.go  atobtests                at 271e9a14cd12deffe0945b3656dd7fbaf3b101a2
 *   src/time/time_test.go     parseDurationTests,
 *                             parseDurationErrorTests  at f7396aaea0297a2e95b502a4075b0aed6efda89f
 *
 * Each row: the input, ok (true when Go returns err == nil, false for any error: ErrSyntax,
 * ErrRange, or a ParseDuration error) and the value Go returns with it (also on error: 0 for a
 * syntax error, the clamped bound or +-Inf for ErrRange). Rows keep the upstream order and
 * comments; upstream rows that cannot be expressed are left as "skipped" comments in place.
 *
 * Floats: upstream compares FormatFloat(out, 'g', -1, 64) strings, so compare bit for bit: -0.0
 * is not 0.0 (use signbit), and the NaN rows hold NAN (use isnan). Expected values are exact
 * decimal literals or C hex-float literals (the upstream string follows in a comment); both
 * denote exactly the double that upstream's string parses to.
 */
#ifndef PODSCALE_TESTS_GO_TABLES_H
#define PODSCALE_TESTS_GO_TABLES_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define GO_N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
  const char *in;
  bool ok; /* false: Go returns an error (syntax or range) */
  double out;
} go_float_case;

typedef struct {
  const char *in;
  bool ok;
  int32_t out;
} go_int32_case;

typedef struct {
  const char *in;
  bool ok;
  bool out;
} go_bool_case;

typedef struct {
  const char *in;
  bool ok;
  int64_t out_ns;
} go_duration_case;

/* strings.Repeat for the upstream rows that build long inputs: 1000 copies of the literal s.
 * Two rows come to about 10000 characters, past the 4095 that C11 promises (gcc and clang take
 * them; only -pedantic's -Woverlength-strings remarks on it). */
#define GO_TABLES_X10(s) s s s s s s s s s s
#define GO_TABLES_X100(s) GO_TABLES_X10(GO_TABLES_X10(s))
#define GO_TABLES_X1000(s) GO_TABLES_X10(GO_TABLES_X100(s))

/*
 * golang/go src/strconv/atof_test.go, atoftests: strconv.ParseFloat(in, 64), transcribed as data.
 * Not transcribed: atof32tests (bitSize 32), and testAtof's re-parse of each row with
 * ParseFloat(in, 32), which has no counterpart here (gosem parses 64-bit only).
 * Skipped row: "1\x00.2" (ErrSyntax in Go), whose embedded NUL ends a C string, so the C parser
 * would be handed "1".
 */
static const go_float_case GO_FLOAT_CASES[] = {
    {"", false, 0.0}, /* ErrSyntax */
    {"1", true, 1.0},
    {"+1", true, 1.0},
    {"1x", false, 0.0},                                        /* ErrSyntax */
    {"1.1.", false, 0.0},                                      /* ErrSyntax */
    {"1e23", true, 0x1.52d02c7e14af6p+76},                     /* 1e+23 */
    {"1E23", true, 0x1.52d02c7e14af6p+76},                     /* 1e+23 */
    {"100000000000000000000000", true, 0x1.52d02c7e14af6p+76}, /* 1e+23 */
    {"1e-100", true, 0x1.bff2ee48e0530p-333},                  /* 1e-100 */
    {"123456700", true, 123456700.0},
    {"99999999999999974834176", true, 0x1.52d02c7e14af5p+76},  /* 9.999999999999997e+22 */
    {"100000000000000000000001", true, 0x1.52d02c7e14af7p+76}, /* 1.0000000000000001e+23 */
    {"100000000000000008388608", true, 0x1.52d02c7e14af7p+76}, /* 1.0000000000000001e+23 */
    {"100000000000000016777215", true, 0x1.52d02c7e14af7p+76}, /* 1.0000000000000001e+23 */
    {"100000000000000016777216", true, 0x1.52d02c7e14af8p+76}, /* 1.0000000000000003e+23 */
    {"-1", true, -1.0},
    {"-0.1", true, -0x1.999999999999ap-4}, /* -0.1 */
    {"-0", true, -0.0},
    {"1e-20", true, 0x1.79ca10c924223p-67}, /* 1e-20 */
    {"625e-3", true, 0.625},

    /* Hexadecimal floating-point. */
    {"0x1p0", true, 1.0},
    {"0x1p1", true, 2.0},
    {"0x1p-1", true, 0.5},
    {"0x1ep-1", true, 15.0},
    {"-0x1ep-1", true, -15.0},
    {"-0x1_ep-1", true, -15.0},
    {"0x1p-200", true, 0x1.0000000000000p-200}, /* 6.223015277861142e-61 */
    {"0x1p200", true, 0x1.0000000000000p+200},  /* 1.6069380442589903e+60 */
    {"0x1fFe2.p0", true, 131042.0},
    {"0x1fFe2.P0", true, 131042.0},
    {"-0x2p3", true, -16.0},
    {"0x0.fp4", true, 15.0},
    {"0x0.fp0", true, 0.9375},
    {"0x1e2", false, 0.0}, /* ErrSyntax */
    {"1p2", false, 0.0},   /* ErrSyntax */

    /* zeros */
    {"0", true, 0.0},
    {"0e0", true, 0.0},
    {"-0e0", true, -0.0},
    {"+0e0", true, 0.0},
    {"0e-0", true, 0.0},
    {"-0e-0", true, -0.0},
    {"+0e-0", true, 0.0},
    {"0e+0", true, 0.0},
    {"-0e+0", true, -0.0},
    {"+0e+0", true, 0.0},
    {"0e+01234567890123456789", true, 0.0},
    {"0.00e-01234567890123456789", true, 0.0},
    {"-0e+01234567890123456789", true, -0.0},
    {"-0.00e-01234567890123456789", true, -0.0},
    {"0x0p+01234567890123456789", true, 0.0},
    {"0x0.00p-01234567890123456789", true, 0.0},
    {"-0x0p+01234567890123456789", true, -0.0},
    {"-0x0.00p-01234567890123456789", true, -0.0},

    {"0e291", true, 0.0}, /* issue 15364 */
    {"0e292", true, 0.0}, /* issue 15364 */
    {"0e347", true, 0.0}, /* issue 15364 */
    {"0e348", true, 0.0}, /* issue 15364 */
    {"-0e291", true, -0.0},
    {"-0e292", true, -0.0},
    {"-0e347", true, -0.0},
    {"-0e348", true, -0.0},
    {"0x0p126", true, 0.0},
    {"0x0p127", true, 0.0},
    {"0x0p128", true, 0.0},
    {"0x0p129", true, 0.0},
    {"0x0p130", true, 0.0},
    {"0x0p1022", true, 0.0},
    {"0x0p1023", true, 0.0},
    {"0x0p1024", true, 0.0},
    {"0x0p1025", true, 0.0},
    {"0x0p1026", true, 0.0},
    {"-0x0p126", true, -0.0},
    {"-0x0p127", true, -0.0},
    {"-0x0p128", true, -0.0},
    {"-0x0p129", true, -0.0},
    {"-0x0p130", true, -0.0},
    {"-0x0p1022", true, -0.0},
    {"-0x0p1023", true, -0.0},
    {"-0x0p1024", true, -0.0},
    {"-0x0p1025", true, -0.0},
    {"-0x0p1026", true, -0.0},

    /* NaNs */
    {"nan", true, NAN}, /* NaN: compare with isnan */
    {"NaN", true, NAN}, /* NaN: compare with isnan */
    {"NAN", true, NAN}, /* NaN: compare with isnan */

    /* Infs */
    {"inf", true, INFINITY},
    {"-Inf", true, -INFINITY},
    {"+INF", true, INFINITY},
    {"-Infinity", true, -INFINITY},
    {"+INFINITY", true, INFINITY},
    {"Infinity", true, INFINITY},

    /* largest float64 */
    {"1.7976931348623157e308", true, 0x1.fffffffffffffp+1023},   /* 1.7976931348623157e+308 */
    {"-1.7976931348623157e308", true, -0x1.fffffffffffffp+1023}, /* -1.7976931348623157e+308 */
    {"0x1.fffffffffffffp1023", true, 0x1.fffffffffffffp+1023},   /* 1.7976931348623157e+308 */
    {"-0x1.fffffffffffffp1023", true, -0x1.fffffffffffffp+1023}, /* -1.7976931348623157e+308 */
    {"0x1fffffffffffffp+971", true, 0x1.fffffffffffffp+1023},    /* 1.7976931348623157e+308 */
    {"-0x1fffffffffffffp+971", true, -0x1.fffffffffffffp+1023},  /* -1.7976931348623157e+308 */
    {"0x.1fffffffffffffp1027", true, 0x1.fffffffffffffp+1023},   /* 1.7976931348623157e+308 */
    {"-0x.1fffffffffffffp1027", true, -0x1.fffffffffffffp+1023}, /* -1.7976931348623157e+308 */

    /* next float64 - too large */
    {"1.7976931348623159e308", false, INFINITY},   /* ErrRange */
    {"-1.7976931348623159e308", false, -INFINITY}, /* ErrRange */
    {"0x1p1024", false, INFINITY},                 /* ErrRange */
    {"-0x1p1024", false, -INFINITY},               /* ErrRange */
    {"0x2p1023", false, INFINITY},                 /* ErrRange */
    {"-0x2p1023", false, -INFINITY},               /* ErrRange */
    {"0x.1p1028", false, INFINITY},                /* ErrRange */
    {"-0x.1p1028", false, -INFINITY},              /* ErrRange */
    {"0x.2p1027", false, INFINITY},                /* ErrRange */
    {"-0x.2p1027", false, -INFINITY},              /* ErrRange */

    /* the border is ...158079 */
    /* borderline - okay */
    {"1.7976931348623158e308", true, 0x1.fffffffffffffp+1023},       /* 1.7976931348623157e+308 */
    {"-1.7976931348623158e308", true, -0x1.fffffffffffffp+1023},     /* -1.7976931348623157e+308 */
    {"0x1.fffffffffffff7fffp1023", true, 0x1.fffffffffffffp+1023},   /* 1.7976931348623157e+308 */
    {"-0x1.fffffffffffff7fffp1023", true, -0x1.fffffffffffffp+1023}, /* -1.7976931348623157e+308 */
    /* borderline - too large */
    {"1.797693134862315808e308", false, INFINITY},   /* ErrRange */
    {"-1.797693134862315808e308", false, -INFINITY}, /* ErrRange */
    {"0x1.fffffffffffff8p1023", false, INFINITY},    /* ErrRange */
    {"-0x1.fffffffffffff8p1023", false, -INFINITY},  /* ErrRange */
    {"0x1fffffffffffff.8p+971", false, INFINITY},    /* ErrRange */
    {"-0x1fffffffffffff8p+967", false, -INFINITY},   /* ErrRange */
    {"0x.1fffffffffffff8p1027", false, INFINITY},    /* ErrRange */
    {"-0x.1fffffffffffff9p1027", false, -INFINITY},  /* ErrRange */

    /* a little too large */
    {"1e308", true, 0x1.1ccf385ebc8a0p+1023}, /* 1e+308 */
    {"2e308", false, INFINITY},               /* ErrRange */
    {"1e309", false, INFINITY},               /* ErrRange */
    {"0x1p1025", false, INFINITY},            /* ErrRange */

    /* way too large */
    {"1e310", false, INFINITY},            /* ErrRange */
    {"-1e310", false, -INFINITY},          /* ErrRange */
    {"1e400", false, INFINITY},            /* ErrRange */
    {"-1e400", false, -INFINITY},          /* ErrRange */
    {"1e400000", false, INFINITY},         /* ErrRange */
    {"-1e400000", false, -INFINITY},       /* ErrRange */
    {"0x1p1030", false, INFINITY},         /* ErrRange */
    {"0x1p2000", false, INFINITY},         /* ErrRange */
    {"0x1p2000000000", false, INFINITY},   /* ErrRange */
    {"-0x1p1030", false, -INFINITY},       /* ErrRange */
    {"-0x1p2000", false, -INFINITY},       /* ErrRange */
    {"-0x1p2000000000", false, -INFINITY}, /* ErrRange */

    /* denormalized */
    {"1e-305", true, 0x1.c16c5c5253575p-1014}, /* 1e-305 */
    {"1e-306", true, 0x1.6789e3750f791p-1017}, /* 1e-306 */
    {"1e-307", true, 0x1.1fa182c40c60dp-1020}, /* 1e-307 */
    {"1e-308", true, 0x0.730d67819e8d2p-1022}, /* 1e-308 */
    {"1e-309", true, 0x0.0b8157268fdafp-1022}, /* 1e-309 */
    {"1e-310", true, 0x0.012688b70e62bp-1022}, /* 1e-310 */
    {"1e-322", true, 0x0.0000000000014p-1022}, /* 1e-322 */
    /* smallest denormal */
    {"5e-324", true, 0x0.0000000000001p-1022}, /* 5e-324 */
    {"4e-324", true, 0x0.0000000000001p-1022}, /* 5e-324 */
    {"3e-324", true, 0x0.0000000000001p-1022}, /* 5e-324 */
    /* too small */
    {"2e-324", true, 0.0},
    /* way too small */
    {"1e-350", true, 0.0},
    {"1e-400000", true, 0.0},

    /* Near denormals and denormals. */
    {"0x2.00000000000000p-1010", true,
     0x1.0000000000000p-1009}, /* 1.8227805048890994e-304; 0x00e0000000000000 */
    {"0x1.fffffffffffff0p-1010", true,
     0x1.fffffffffffffp-1010}, /* 1.8227805048890992e-304; 0x00dfffffffffffff */
    {"0x1.fffffffffffff7p-1010", true,
     0x1.fffffffffffffp-1010}, /* 1.8227805048890992e-304; rounded down */
    {"0x1.fffffffffffff8p-1010", true,
     0x1.0000000000000p-1009}, /* 1.8227805048890994e-304; rounded up */
    {"0x1.fffffffffffff9p-1010", true,
     0x1.0000000000000p-1009}, /* 1.8227805048890994e-304; rounded up */

    {"0x2.00000000000000p-1022", true,
     0x1.0000000000000p-1021}, /* 4.450147717014403e-308; 0x0020000000000000 */
    {"0x1.fffffffffffff0p-1022", true,
     0x1.fffffffffffffp-1022}, /* 4.4501477170144023e-308; 0x001fffffffffffff */
    {"0x1.fffffffffffff7p-1022", true,
     0x1.fffffffffffffp-1022}, /* 4.4501477170144023e-308; rounded down */
    {"0x1.fffffffffffff8p-1022", true,
     0x1.0000000000000p-1021}, /* 4.450147717014403e-308; rounded up */
    {"0x1.fffffffffffff9p-1022", true,
     0x1.0000000000000p-1021}, /* 4.450147717014403e-308; rounded up */

    {"0x1.00000000000000p-1022", true,
     0x1.0000000000000p-1022}, /* 2.2250738585072014e-308; 0x0010000000000000 */
    {"0x0.fffffffffffff0p-1022", true,
     0x0.fffffffffffffp-1022}, /* 2.225073858507201e-308; 0x000fffffffffffff */
    {"0x0.ffffffffffffe0p-1022", true,
     0x0.ffffffffffffep-1022}, /* 2.2250738585072004e-308; 0x000ffffffffffffe */
    {"0x0.ffffffffffffe7p-1022", true,
     0x0.ffffffffffffep-1022}, /* 2.2250738585072004e-308; rounded down */
    {"0x1.ffffffffffffe8p-1023", true,
     0x0.fffffffffffffp-1022}, /* 2.225073858507201e-308; rounded up */
    {"0x1.ffffffffffffe9p-1023", true,
     0x0.fffffffffffffp-1022}, /* 2.225073858507201e-308; rounded up */

    {"0x0.00000003fffff0p-1022", true,
     0x0.00000003fffffp-1022}, /* 2.072261e-317; 0x00000000003fffff */
    {"0x0.00000003456780p-1022", true,
     0x0.0000000345678p-1022}, /* 1.694649e-317; 0x0000000000345678 */
    {"0x0.00000003456787p-1022", true, 0x0.0000000345678p-1022}, /* 1.694649e-317; rounded down */
    {"0x0.00000003456788p-1022", true,
     0x0.0000000345678p-1022}, /* 1.694649e-317; rounded down (half to even) */
    {"0x0.00000003456790p-1022", true,
     0x0.0000000345679p-1022}, /* 1.6946496e-317; 0x0000000000345679 */
    {"0x0.00000003456789p-1022", true, 0x0.0000000345679p-1022}, /* 1.6946496e-317; rounded up */

    {"0x0.0000000345678800000000000000000000000001p-1022", true,
     0x0.0000000345679p-1022}, /* 1.6946496e-317; rounded up */

    {"0x0.000000000000f0p-1022", true, 0x0.000000000000fp-1022}, /* 7.4e-323; 0x000000000000000f */
    {"0x0.00000000000060p-1022", true, 0x0.0000000000006p-1022}, /* 3e-323; 0x0000000000000006 */
    {"0x0.00000000000058p-1022", true, 0x0.0000000000006p-1022}, /* 3e-323; rounded up */
    {"0x0.00000000000057p-1022", true, 0x0.0000000000005p-1022}, /* 2.5e-323; rounded down */
    {"0x0.00000000000050p-1022", true, 0x0.0000000000005p-1022}, /* 2.5e-323; 0x0000000000000005 */

    {"0x0.00000000000010p-1022", true, 0x0.0000000000001p-1022},  /* 5e-324; 0x0000000000000001 */
    {"0x0.000000000000081p-1022", true, 0x0.0000000000001p-1022}, /* 5e-324; rounded up */
    {"0x0.00000000000008p-1022", true, 0.0},                      /* rounded down */
    {"0x0.00000000000007fp-1022", true, 0.0},                     /* rounded down */

    /* try to overflow exponent */
    {"1e-4294967296", true, 0.0},
    {"1e+4294967296", false, INFINITY}, /* ErrRange */
    {"1e-18446744073709551616", true, 0.0},
    {"1e+18446744073709551616", false, INFINITY}, /* ErrRange */
    {"0x1p-4294967296", true, 0.0},
    {"0x1p+4294967296", false, INFINITY}, /* ErrRange */
    {"0x1p-18446744073709551616", true, 0.0},
    {"0x1p+18446744073709551616", false, INFINITY}, /* ErrRange */

    /* Parse errors */
    {"1e", false, 0.0},   /* ErrSyntax */
    {"1e-", false, 0.0},  /* ErrSyntax */
    {".e-1", false, 0.0}, /* ErrSyntax */
    /* skipped: "1\x00.2" (embedded NUL: a C string ends at it, so the C parser would see "1") */
    {"0x", false, 0.0},     /* ErrSyntax */
    {"0x.", false, 0.0},    /* ErrSyntax */
    {"0x1", false, 0.0},    /* ErrSyntax */
    {"0x.1", false, 0.0},   /* ErrSyntax */
    {"0x1p", false, 0.0},   /* ErrSyntax */
    {"0x.1p", false, 0.0},  /* ErrSyntax */
    {"0x1p+", false, 0.0},  /* ErrSyntax */
    {"0x.1p+", false, 0.0}, /* ErrSyntax */
    {"0x1p-", false, 0.0},  /* ErrSyntax */
    {"0x.1p-", false, 0.0}, /* ErrSyntax */
    {"0x1p+2", true, 4.0},
    {"0x.1p+2", true, 0.25},
    {"0x1p-2", true, 0.25},
    {"0x.1p-2", true, 0.015625},

    /* https://www.exploringbinary.com/java-hangs-when-converting-2-2250738585072012e-308/ */
    {"2.2250738585072012e-308", true, 0x1.0000000000000p-1022}, /* 2.2250738585072014e-308 */
    /* https://www.exploringbinary.com/php-hangs-on-numeric-value-2-2250738585072011e-308/ */
    {"2.2250738585072011e-308", true, 0x0.fffffffffffffp-1022}, /* 2.225073858507201e-308 */

    /* A very large number (initially wrongly parsed by the fast algorithm). */
    {"4.630813248087435e+307", true, 0x1.07c7a61d350f9p+1022}, /* 4.630813248087435e+307 */

    /* A different kind of very large number. */
    {"22.222222222222222", true, 0x1.638e38e38e38ep+4},               /* 22.22222222222222 */
    {"2." GO_TABLES_X1000("2222") "e+1", true, 0x1.638e38e38e38ep+4}, /* 22.22222222222222 */
    {"0x1.1111111111111p222", true, 0x1.1111111111111p+222},          /* 7.18931911124017e+66 */
    {"0x2.2222222222222p221", true, 0x1.1111111111111p+222},          /* 7.18931911124017e+66 */
    {"0x2." GO_TABLES_X1000("2222") "p221", true,
     0x1.1111111111111p+222}, /* 7.18931911124017e+66 */

    /* Exactly halfway between 1 and math.Nextafter(1, 2). */
    /* Round to even (down). */
    {"1.00000000000000011102230246251565404236316680908203125", true, 1.0},
    {"0x1.00000000000008p0", true, 1.0},
    /* Slightly lower; still round down. */
    {"1.00000000000000011102230246251565404236316680908203124", true, 1.0},
    {"0x1.00000000000007Fp0", true, 1.0},
    /* Slightly higher; round up. */
    {"1.00000000000000011102230246251565404236316680908203126", true,
     0x1.0000000000001p+0},                                /* 1.0000000000000002 */
    {"0x1.000000000000081p0", true, 0x1.0000000000001p+0}, /* 1.0000000000000002 */
    {"0x1.00000000000009p0", true, 0x1.0000000000001p+0},  /* 1.0000000000000002 */
    /* Slightly higher, but you have to read all the way to the end. */
    {"1.00000000000000011102230246251565404236316680908203125" GO_TABLES_X1000("0000000000") "1",
     true, 0x1.0000000000001p+0}, /* 1.0000000000000002 */
    {"0x1.00000000000008" GO_TABLES_X1000("0000000000") "1p0", true,
     0x1.0000000000001p+0}, /* 1.0000000000000002 */

    /* Halfway between x := math.Nextafter(1, 2) and math.Nextafter(x, 2) */
    /* Round to even (up). */
    {"1.00000000000000033306690738754696212708950042724609375", true,
     0x1.0000000000002p+0},                               /* 1.0000000000000004 */
    {"0x1.00000000000018p0", true, 0x1.0000000000002p+0}, /* 1.0000000000000004 */

    /* Underscores. */
    {"1_23.50_0_0e+1_2", true, 123500000000000.0},
    {"-_123.5e+12", false, 0.0},  /* ErrSyntax */
    {"+_123.5e+12", false, 0.0},  /* ErrSyntax */
    {"_123.5e+12", false, 0.0},   /* ErrSyntax */
    {"1__23.5e+12", false, 0.0},  /* ErrSyntax */
    {"123_.5e+12", false, 0.0},   /* ErrSyntax */
    {"123._5e+12", false, 0.0},   /* ErrSyntax */
    {"123.5_e+12", false, 0.0},   /* ErrSyntax */
    {"123.5__0e+12", false, 0.0}, /* ErrSyntax */
    {"123.5e_+12", false, 0.0},   /* ErrSyntax */
    {"123.5e+_12", false, 0.0},   /* ErrSyntax */
    {"123.5e_-12", false, 0.0},   /* ErrSyntax */
    {"123.5e-_12", false, 0.0},   /* ErrSyntax */
    {"123.5e+1__2", false, 0.0},  /* ErrSyntax */
    {"123.5e+12_", false, 0.0},   /* ErrSyntax */

    {"0x_1_2.3_4_5p+1_2", true, 74565.0},
    {"-_0x12.345p+12", false, 0.0}, /* ErrSyntax */
    {"+_0x12.345p+12", false, 0.0}, /* ErrSyntax */
    {"_0x12.345p+12", false, 0.0},  /* ErrSyntax */
    {"0x__12.345p+12", false, 0.0}, /* ErrSyntax */
    {"0x1__2.345p+12", false, 0.0}, /* ErrSyntax */
    {"0x12_.345p+12", false, 0.0},  /* ErrSyntax */
    {"0x12._345p+12", false, 0.0},  /* ErrSyntax */
    {"0x12.3__45p+12", false, 0.0}, /* ErrSyntax */
    {"0x12.345_p+12", false, 0.0},  /* ErrSyntax */
    {"0x12.345p_+12", false, 0.0},  /* ErrSyntax */
    {"0x12.345p+_12", false, 0.0},  /* ErrSyntax */
    {"0x12.345p_-12", false, 0.0},  /* ErrSyntax */
    {"0x12.345p-_12", false, 0.0},  /* ErrSyntax */
    {"0x12.345p+1__2", false, 0.0}, /* ErrSyntax */
    {"0x12.345p+12_", false, 0.0},  /* ErrSyntax */
};

/* golang/go src/strconv/atoi_test.go, parseInt32Tests: strconv.ParseInt(in, 10, 32), transcribed
 * as data. */
static const go_int32_case GO_INT32_CASES[] = {
    {"", false, 0}, /* ErrSyntax */
    {"0", true, 0},
    {"-0", true, 0},
    {"1", true, 1},
    {"-1", true, -1},
    {"12345", true, 12345},
    {"-12345", true, -12345},
    {"012345", true, 12345},
    {"-012345", true, -12345},
    {"12345x", false, 0},  /* ErrSyntax */
    {"-12345x", false, 0}, /* ErrSyntax */
    {"987654321", true, 987654321},
    {"-987654321", true, -987654321},
    {"2147483647", true, INT32_MAX},
    {"-2147483647", true, -2147483647},
    {"2147483648", false, INT32_MAX}, /* ErrRange */
    {"-2147483648", true, INT32_MIN},
    {"2147483649", false, INT32_MAX},  /* ErrRange */
    {"-2147483649", false, INT32_MIN}, /* ErrRange */
};

/* golang/go src/strconv/atob_test.go, atobtests: strconv.ParseBool(in), transcribed as data. */
static const go_bool_case GO_BOOL_CASES[] = {
    {"", false, false},     /* ErrSyntax */
    {"asdf", false, false}, /* ErrSyntax */
    {"0", true, false},     {"f", true, false},     {"F", true, false},   {"FALSE", true, false},
    {"false", true, false}, {"False", true, false}, {"1", true, true},    {"t", true, true},
    {"T", true, true},      {"TRUE", true, true},   {"true", true, true}, {"True", true, true},
};

/*
 * golang/go src/time/time_test.go, parseDurationTests then parseDurationErrorTests:
 * time.ParseDuration(in), transcribed as data. Every parseDurationTests row succeeds; every
 * parseDurationErrorTests row fails (its expected error substring is not transcribed). Go's
 * "\xffff" is the byte 0xff then "ff", written here as "\xff" "ff"; Go's "\uFFFD" is written as
 * its UTF-8 bytes, as are "µ" (U+00B5) and "μ" (U+03BC).
 */
static const go_duration_case GO_DURATION_CASES[] = {
    /* simple */
    {"0", true, 0},
    {"5s", true, 5000000000},       /* 5 * Second */
    {"30s", true, 30000000000},     /* 30 * Second */
    {"1478s", true, 1478000000000}, /* 1478 * Second */
    /* sign */
    {"-5s", true, -5000000000}, /* -5 * Second */
    {"+5s", true, 5000000000},  /* 5 * Second */
    {"-0", true, 0},
    {"+0", true, 0},
    /* decimal */
    {"5.0s", true, 5000000000},         /* 5 * Second */
    {"5.6s", true, 5600000000},         /* 5*Second + 600*Millisecond */
    {"5.s", true, 5000000000},          /* 5 * Second */
    {".5s", true, 500000000},           /* 500 * Millisecond */
    {"1.0s", true, 1000000000},         /* 1 * Second */
    {"1.00s", true, 1000000000},        /* 1 * Second */
    {"1.004s", true, 1004000000},       /* 1*Second + 4*Millisecond */
    {"1.0040s", true, 1004000000},      /* 1*Second + 4*Millisecond */
    {"100.00100s", true, 100001000000}, /* 100*Second + 1*Millisecond */
    /* different units */
    {"10ns", true, 10},            /* 10 * Nanosecond */
    {"11us", true, 11000},         /* 11 * Microsecond */
    {"12\xc2\xb5s", true, 12000},  /* 12 * Microsecond; U+00B5 */
    {"12\xce\xbcs", true, 12000},  /* 12 * Microsecond; U+03BC */
    {"13ms", true, 13000000},      /* 13 * Millisecond */
    {"14s", true, 14000000000},    /* 14 * Second */
    {"15m", true, 900000000000},   /* 15 * Minute */
    {"16h", true, 57600000000000}, /* 16 * Hour */
    /* composite durations */
    {"3h30m", true, 12600000000000},          /* 3*Hour + 30*Minute */
    {"10.5s4m", true, 250500000000},          /* 4*Minute + 10*Second + 500*Millisecond */
    {"-2m3.4s", true, -123400000000},         /* -(2*Minute + 3*Second + 400*Millisecond) */
    {"1h2m3s4ms5us6ns", true, 3723004005006}, /* 1*Hour + 2*Minute + 3*Second + 4*Millisecond +
                                                 5*Microsecond + 6*Nanosecond */
    {"39h9m14.425s", true, 140954425000000},  /* 39*Hour + 9*Minute + 14*Second + 425*Millisecond */
    /* large value */
    {"52763797000ns", true, 52763797000}, /* 52763797000 * Nanosecond */
    /* more than 9 digits after decimal point, see https://golang.org/issue/6617 */
    {"0.3333333333333333333h", true, 1200000000000}, /* 20 * Minute */
    /* 9007199254740993 = 1<<53+1 cannot be stored precisely in a float64 */
    {"9007199254740993ns", true, 9007199254740993}, /* (1<<53 + 1) * Nanosecond */
    /* largest duration that can be represented by int64 in nanoseconds */
    {"9223372036854775807ns", true, INT64_MAX},       /* (1<<63 - 1) * Nanosecond */
    {"9223372036854775.807us", true, INT64_MAX},      /* (1<<63 - 1) * Nanosecond */
    {"9223372036s854ms775us807ns", true, INT64_MAX},  /* (1<<63 - 1) * Nanosecond */
    {"-9223372036854775808ns", true, INT64_MIN},      /* -1 << 63 * Nanosecond */
    {"-9223372036854775.808us", true, INT64_MIN},     /* -1 << 63 * Nanosecond */
    {"-9223372036s854ms775us808ns", true, INT64_MIN}, /* -1 << 63 * Nanosecond */
    /* largest negative value */
    {"-9223372036854775808ns", true, INT64_MIN}, /* -1 << 63 * Nanosecond */
    /* largest negative round trip value, see https://golang.org/issue/48629 */
    {"-2562047h47m16.854775808s", true, INT64_MIN}, /* -1 << 63 * Nanosecond */
    /* huge string; issue 15011. */
    {"0.100000000000000000000h", true, 360000000000}, /* 6 * Minute */
    /* This value tests the first overflow check in leadingFraction. */
    {"0.830103483285477580700h", true,
     2988372539827}, /* 49*Minute + 48*Second + 372539827*Nanosecond */

    /* ---- parseDurationErrorTests (every row an error; Go returns 0) ---- */
    /* invalid */
    {"", false, 0},
    {"3", false, 0},
    {"-", false, 0},
    {"s", false, 0},
    {".", false, 0},
    {"-.", false, 0},
    {".s", false, 0},
    {"+.s", false, 0},
    {"1d", false, 0},
    {"\x85\x85", false, 0},
    {"\xff"
     "ff",
     false, 0},
    {"hello \xff"
     "ff world",
     false, 0},
    {"\xef\xbf\xbd", false, 0},                          /* utf8.RuneError */
    {"\xef\xbf\xbd hello \xef\xbf\xbd world", false, 0}, /* utf8.RuneError */
    /* overflow */
    {"9223372036854775810ns", false, 0},
    {"9223372036854775808ns", false, 0},
    {"-9223372036854775809ns", false, 0},
    {"9223372036854776us", false, 0},
    {"3000000h", false, 0},
    {"9223372036854775.808us", false, 0},
    {"9223372036854ms775us808ns", false, 0},
};

#undef GO_TABLES_X1000
#undef GO_TABLES_X100
#undef GO_TABLES_X10

#endif
