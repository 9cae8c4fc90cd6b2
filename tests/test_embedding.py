"""The real embedder: precision chosen at run time, identical texts embedded once, queries."""

from __future__ import annotations

import numpy as np
import pytest

from qa import embedding


@pytest.fixture
def restore_precision(embedder):
    saved = (embedder.precision, embedder.precision_reason)
    yield embedder
    embedder.precision, embedder.precision_reason = saved


def test_fp32_is_used_when_asked_and_where_the_cpu_has_no_bf16(restore_precision, monkeypatch):
    embedder = restore_precision
    assert embedder._choose_precision("fp32") == "fp32 requested"
    assert embedder.precision == "fp32"
    monkeypatch.setattr(embedding, "bf16_supported", lambda: False)
    assert "no native bf16" in embedder._choose_precision("auto")
    assert embedder.precision == "fp32"


def test_auto_takes_bf16_only_when_the_probe_matches_fp32(restore_precision, monkeypatch):
    embedder = restore_precision
    monkeypatch.setattr(embedding, "bf16_supported", lambda: True)
    worst = embedder._bf16_probe_cosine()  # the real probe: fp32 and bf16 passes of the model
    assert 0.99 < worst <= 1.0001
    monkeypatch.setattr(embedder, "_bf16_probe_cosine", lambda: worst)
    monkeypatch.setattr(embedding, "BF16_MIN_COSINE", worst - 0.001)
    assert "matching fp32" in embedder._choose_precision("auto")
    assert embedder.precision == "bf16"
    monkeypatch.setattr(embedding, "BF16_MIN_COSINE", worst + 0.001)
    assert "differs from fp32" in embedder._choose_precision("auto")
    assert embedder.precision == "fp32"


def test_identical_texts_are_embedded_once_and_keep_their_rows(embedder, monkeypatch):
    seen: list[list[str]] = []
    original = embedder._model.encode

    def counting_encode(texts, **options):
        seen.append(list(texts))
        return original(texts, **options)

    monkeypatch.setattr(embedder._model, "encode", counting_encode)
    texts = ["Wheat prices fell.", "Lava reached the town.", "Wheat prices fell."]
    vectors = embedder.encode_documents(texts)
    assert seen == [["Wheat prices fell.", "Lava reached the town."]]
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_a_question_embeds_as_its_document_embedding_does(embedder):
    question = "Who does not like the development of the CSTO?"
    query = embedder.encode_query(question)
    document = embedder.encode_documents([question])[0]
    assert query.shape == (embedder.dimension,) and query.dtype == np.float32
    assert float(query @ document) > 0.99999


def test_questions_by_onnx_runtime_match_pytorch(embedder, tmp_path):
    from qa.embedding import SentenceTransformerEmbedder

    onnx = SentenceTransformerEmbedder(precision="fp32", query_runtime="onnx", cache=tmp_path)
    assert onnx.query_runtime == "onnx"
    assert list((tmp_path / "onnx").glob("query-*.onnx"))
    for question in ("Who is Sergey Lavrov?", "How much wheat did Egypt buy in March 2023?"):
        vector = onnx.encode_query(question)
        assert vector.dtype == np.float32 and vector.shape == (embedder.dimension,)
        assert float(vector @ embedder.encode_query(question)) > 0.9999
    # a second embedder reuses the exported files (the model, its tokenizer, their description)
    exported = sorted((tmp_path / "onnx").iterdir())
    again = SentenceTransformerEmbedder(precision="fp32", query_runtime="onnx", cache=tmp_path)
    assert again.query_runtime == "onnx"
    assert sorted((tmp_path / "onnx").iterdir()) == exported and len(exported) == 4


def test_questions_by_the_int8_graph_stay_close_to_pytorch(embedder, tmp_path):
    """The int8 copy of the export (what `auto` takes on CPUs with VNNI or AMX): made once from
    the fp32 export, checked against PyTorch, and found again by `qa ask` without PyTorch."""
    from qa.embedding import SentenceTransformerEmbedder
    from qa.onnx_query import INT8_MIN_COSINE
    from qa.query_encoder import cached_query_encoder, int8_native
    from qa.settings import DEFAULT_MODEL

    if not int8_native():  # `auto` never takes it there; AVX2's int8 products saturate
        pytest.skip("the CPU has no int8 dot products (VNNI or AMX)")
    int8 = SentenceTransformerEmbedder(precision="fp32", query_runtime="onnx-int8", cache=tmp_path)
    assert int8.query_runtime == "onnx"
    assert list((tmp_path / "onnx").glob("query-*.int8.onnx"))
    questions = ("Who is Sergey Lavrov?", "How much wheat did Egypt buy in March 2023?")
    for question in questions:
        vector = int8.encode_query(question)
        assert vector.dtype == np.float32 and vector.shape == (embedder.dimension,)
        reference = embedder._encode_query_torch(question, precision="fp32")
        assert INT8_MIN_COSINE <= float(vector @ reference) < 1.0
    cached = cached_query_encoder(tmp_path, DEFAULT_MODEL, quantized=True)
    assert cached is not None and cached.quantized
    assert np.allclose(cached.encode_query(questions[0]), int8.encode_query(questions[0]))
    fp32 = cached_query_encoder(tmp_path, DEFAULT_MODEL)
    assert fp32 is not None and not fp32.quantized


def test_a_question_asked_again_is_not_embedded_again(embedder):
    question = "Which outlet reported the tender first?"
    first = embedder.encode_query(question)
    assert embedder.encode_query(question) is first and not first.flags.writeable


def test_the_export_embeds_questions_without_pytorch_as_pytorch_does(embedder, tmp_path):
    from qa.onnx_query import MIN_COSINE
    from qa.query_encoder import cached_query_encoder
    from qa.settings import DEFAULT_MODEL

    assert cached_query_encoder(tmp_path, DEFAULT_MODEL) is None  # nothing exported yet
    assert embedder.export_for_questions(tmp_path)  # whatever precision the session runs in
    encoder = cached_query_encoder(tmp_path, DEFAULT_MODEL)
    assert encoder is not None and encoder.model_id == embedder.model_id
    assert (encoder.dimension, encoder.max_tokens) == (embedder.dimension, embedder.max_tokens)
    long_text = "Lava reached the town of Grindavik on Sunday. " * 80  # truncated alike
    for text in ("Who is Sergey Lavrov?", "  How much wheat did Egypt buy?  ", long_text):
        reference = embedder._encode_query_torch(text, precision="fp32")
        assert float(encoder.encode_query(text) @ reference) >= MIN_COSINE
        assert encoder.count_tokens([text]) == embedder.count_tokens([text])


def test_an_export_without_its_description_is_not_used(embedder, tmp_path):
    from qa.query_encoder import cached_query_encoder, export_paths
    from qa.settings import DEFAULT_MODEL

    assert embedder.export_for_questions(tmp_path)
    description = export_paths(tmp_path, embedding.resolve_model(DEFAULT_MODEL)[0]).info
    description.write_text("{not json")
    assert cached_query_encoder(tmp_path, DEFAULT_MODEL) is None
    description.unlink()
    assert cached_query_encoder(tmp_path, DEFAULT_MODEL) is None
    assert embedder.export_for_questions(tmp_path)  # made again
    assert cached_query_encoder(tmp_path, DEFAULT_MODEL) is not None


def test_without_onnx_runtime_auto_falls_back_and_onnx_fails(monkeypatch, tmp_path):
    import builtins

    from qa.embedding import ModelError, SentenceTransformerEmbedder

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("no onnxruntime here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    auto = SentenceTransformerEmbedder(precision="fp32", query_runtime="auto", cache=tmp_path)
    assert auto.query_runtime == "torch"
    with pytest.raises(ModelError, match="onnxruntime is not installed"):
        SentenceTransformerEmbedder(precision="fp32", query_runtime="onnx", cache=tmp_path)


def test_word_pieces_embed_as_their_texts_do(embedder):
    """Builds embed passages from word pieces tokenized once; the vectors are the texts'."""
    texts = [
        "Egypt's state grain buyer purchased 480,000 tonnes of wheat.",
        "A volcanic eruption sent lava into Grindavik.\nIceland Monitor | 2024-01-14\nNobody was hurt.",
        "Egypt's state grain buyer purchased 480,000 tonnes of wheat.",
    ]
    tokens = embedder.tokenize(texts)
    assert [len(t) for t in tokens] == embedder.count_tokens(texts)
    for text, t in zip(texts, tokens):  # every word piece knows the characters it came from
        assert all(0 <= s < e <= len(text) for s, e in zip(t.starts, t.ends))
    from_pieces = embedder.encode_tokens([t.ids for t in tokens])
    from_texts = embedder.encode_documents(texts)
    assert from_pieces.shape == (3, embedder.dimension)
    np.testing.assert_array_equal(from_pieces[0], from_pieces[2])
    assert np.min(np.sum(from_pieces * from_texts, axis=1)) > 0.9999
