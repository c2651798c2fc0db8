"""One CUnit test binary per module (notes/house-style.md, item 12)."""

def st_cc_test(name, srcs, deps = [], size = "small", tags = [], data = []):
    """A CUnit cc_test. Each test file has a main() built on
    tests/unit/cunit_main.h and is run by `bazel test`, plain and under
    --config=asan."""
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [
            "//tests/unit:cunit_main",
            "@system//:cunit",
        ],
        size = size,
        tags = tags,
        data = data + ["//bazel:lsan.supp"],
    )
