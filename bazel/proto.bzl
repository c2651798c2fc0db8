"""Code generation for the settled.v1 contract with Debian's protoc/protoc-c.

The protos of the system (well-known types, grpc health and reflection) are
read from /usr/include and /usr/share/grpc-proto, where Debian's packages put
them; nothing is downloaded.
"""

_INCLUDES = "-I. -I/usr/include -I/usr/share/grpc-proto"

def _pbc_outs(p):
    base = p[:-len(".proto")]
    return [base + ".pb-c.c", base + ".pb-c.h"]

def protoc_c_library(name, srcs, system_srcs = []):
    """A cc_library of protoc-c output for srcs (in this package) and
    system_srcs (found on the system include path)."""
    outs = []
    for p in srcs + system_srcs:
        outs += _pbc_outs(p)
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = outs,
        cmd = " && ".join([
            "cd $$(dirname $(location %s))/../.." % srcs[0],
            "protoc-c %s --c_out=$$OLDPWD/$(RULEDIR) %s" % (_INCLUDES, " ".join(srcs + system_srcs)),
        ]),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".c")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        copts = ["-Wno-unused-parameter"],
        deps = ["@system//:protobuf_c"],
    )

def descriptor_set_c(name, srcs, system_srcs, symbol):
    """A cc_library exporting the FileDescriptorSet of srcs and system_srcs
    (imports included, with source info) as `const unsigned char symbol[]`
    and `const size_t symbol_len`."""
    native.genrule(
        name = name + "_pb",
        srcs = srcs,
        outs = [name + ".pb"],
        cmd = " && ".join([
            "OUT=$$PWD/$@",
            "cd $$(dirname $(location %s))/../.." % srcs[0],
            "protoc %s --include_imports --include_source_info --descriptor_set_out=$$OUT %s" % (_INCLUDES, " ".join(srcs + system_srcs)),
        ]),
    )
    native.genrule(
        name = name + "_c",
        srcs = [name + ".pb"],
        outs = [name + ".c"],
        cmd = " && ".join([
            "echo '/* Generated from the descriptor set; do not edit. */' > $@",
            "echo '#include <stddef.h>' >> $@",
            "echo 'const unsigned char %s[] = {' >> $@" % symbol,
            "od -An -v -tx1 $< | sed -e 's/ \\([0-9a-f][0-9a-f]\\)/0x\\1,/g' >> $@",
            "echo '};' >> $@",
            "echo 'const size_t %s_len = sizeof(%s);' >> $@" % (symbol, symbol),
        ]),
    )
    native.cc_library(
        name = name,
        srcs = [name + ".c"],
    )
