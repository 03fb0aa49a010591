"""Storage width of the number formats capplan knows.

These are definitions of the formats, not measurements: fp8 (E4M3/E5M2) is one byte per value with a
per-tensor scale; block-scaled 4-bit formats carry one 8-bit scale per block, which is part of their
size (NVFP4: one E4M3 scale per 16 values, NVIDIA Blackwell architecture technical brief; MXFP4: one
E8M0 scale per 32 values, OCP Microscaling Formats v1.0 spec; int4 weight-only quantisation as in
AWQ/GPTQ: one fp16 scale per group of 128 values).
"""

from __future__ import annotations

PRECISIONS: tuple[str, ...] = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4")

BYTES_PER_VALUE: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp4": 0.5 + 1.0 / 16,  # NVFP4: 4 bits + one 8-bit scale per 16 values
    "int4": 0.5 + 2.0 / 128,  # 4 bits + one fp16 scale per group of 128
}

#: Block-scaled fp8 (DeepSeek's own fp8 checkpoints, "block_shape [128, 128]" in the engines): one scale
#: per 128 x 128 weight block and per 1 x 128 activation group (DeepSeek-V3 technical report, arXiv
#: 2412.19437, sec. 3.3), so its GEMMs step through the reduction dimension 128 values at a time.
FP8_BLOCK = 128

# Which tensor-core rate a precision's GEMMs run at. int8/int4 weight-only formats are dequantised to
# bf16 before the matmul in the common serving kernels (Marlin, AWQ), so they run at the bf16 rate.
COMPUTE_PRECISION: dict[str, str] = {
    "fp32": "fp32",
    "tf32": "tf32",
    "bf16": "bf16",
    "fp16": "fp16",
    "fp8": "fp8",
    "int8": "bf16",
    "fp4": "fp4",
    "int4": "bf16",
}

#: Precisions a text model's GEMMs can run at (``compute_precision``), given tensor cores for them.
COMPUTE_PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "fp4")
