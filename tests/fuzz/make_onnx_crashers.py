#!/usr/bin/env python3
"""make_onnx_crashers.py — writes the hand-made ONNX reproducers of
crashers/onnx: the smallest models that show each bug fuzz_onnx found (the
fuzzer's own inputs are 2 to 3 KB of mutated networks). Plain Python with a
few lines of protobuf encoding, as python3-onnx may not be installed.
Run from any directory; docs/fuzzing.md lists what each file shows."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashers", "onnx")


def varint(v):
    v &= (1 << 64) - 1  # negative int64 as protobuf does: ten bytes
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def value_info(name, elem_type, dims):
    """ValueInfoProto: name, TypeProto.tensor_type{elem_type, shape}."""
    shape = b"".join(field_bytes(1, field_varint(1, d)) for d in dims)
    tensor = field_varint(1, elem_type) + field_bytes(2, shape)
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor))


def node(op, inputs, outputs, name="n0", attrs=()):
    return (b"".join(field_bytes(1, i) for i in inputs) +
            b"".join(field_bytes(2, o) for o in outputs) +
            field_bytes(3, name) + field_bytes(4, op) +
            b"".join(field_bytes(5, a) for a in attrs))


def tensor_attr(name, data_type, dims, raw):
    """AttributeProto of type TENSOR (4) holding raw little-endian bytes."""
    t = (b"".join(field_varint(1, d) for d in dims) + field_varint(2, data_type) +
         field_bytes(9, raw))
    return field_bytes(1, name) + field_bytes(5, t) + field_varint(20, 4)


def model(nodes, inputs, outputs, opset=13):
    graph = (b"".join(field_bytes(1, n) for n in nodes) + field_bytes(2, "g") +
             b"".join(field_bytes(11, v) for v in inputs) +
             b"".join(field_bytes(12, v) for v in outputs))
    opset_import = field_bytes(1, "") + field_varint(2, opset)
    return field_varint(1, 8) + field_bytes(8, opset_import) + field_bytes(7, graph)


def nested_subgraphs(levels):
    """A graph whose only node has a graph attribute whose only node has a
    graph attribute ... levels deep: three messages (Graph, Node, Attribute)
    per level and nothing else, about ten bytes a level."""
    g = b""
    for _ in range(levels):
        g = field_bytes(1, field_bytes(5, field_bytes(6, g)))
    return field_varint(1, 8) + field_bytes(7, g)


FLOAT = 1
CRASHERS = {
    # 3,000 levels of subgraph attributes (9,000 nested messages, 30 KB):
    # protobuf_c_message_unpack recursed once per message, without limit,
    # and overflowed the stack (SEGV). Refused by the depth walk now.
    "nested_subgraphs.onnx": nested_subgraphs(3000),
    # Conv takes 2 or 3 inputs. Given none, shape inference reads X and W
    # past the end of the node's input array (ASan: dynamic-stack-buffer-
    # overflow in conv_common_inputs); given one, it reads W from an
    # uninitialised slot (a wild pointer, or NULL by luck).
    "conv_no_inputs.onnx": model(
        [node("Conv", [], ["y"])],
        [value_info("x", FLOAT, [1, 1, 4, 4])],
        [value_info("y", FLOAT, [1, 1, 4, 4])]),
    "conv_one_input.onnx": model(
        [node("Conv", ["x"], ["y"])],
        [value_info("x", FLOAT, [1, 1, 4, 4])],
        [value_info("y", FLOAT, [1, 1, 4, 4])]),
    # Constant has one output. With none, shape inference wrote the type
    # into, and constant propagation copied the value to, an output slot that
    # was never initialised (a wild pointer: SEGV in dlc_ref_constant).
    "constant_no_outputs.onnx": model(
        [node("Constant", [], [], "c",
              [tensor_attr("value", FLOAT, [2], struct.pack("<2f", 1, 2))]),
         node("Relu", ["x"], ["y"], "r")],
        [value_info("x", FLOAT, [2])],
        [value_info("y", FLOAT, [2])]),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in CRASHERS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
