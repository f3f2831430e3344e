import io
import tarfile

from docmatix.pipeline.s1_read import discover_units, iter_unit_documents, split_member_name
from docmatix.schemas.records import SourceDocument
from tests.conftest import E2E_PDFS, corpus_pdf


def test_shard_yields_documents_in_order_with_pdfa_json(e2e_shard):
    (unit,) = discover_units([str(e2e_shard)])
    assert unit.unit_id == "pdfa-eng-train-0000" and unit.kind == "tar"
    docs = list(iter_unit_documents(unit, max_pdf_bytes=10**8))
    assert [d.key for d in docs] == [f"{i:07d}" for i in range(len(E2E_PDFS))]
    assert all(isinstance(d, SourceDocument) for d in docs)
    first = docs[0]
    assert first.source_label == "PDFA key: 0000000"
    assert first.pdf.startswith(b"%PDF")
    assert first.pdfa_json["pages"][0]["lines"]["text"], "JSON lines should carry the page's text"


def test_member_names_are_data_not_paths(tmp_path):
    shard = tmp_path / "evil.tar"
    pdf = corpus_pdf("001-trivial/minimal-document.pdf").read_bytes()
    with tarfile.open(shard, "w") as tar:
        for name, data in [("../../escape.pdf", pdf), ("/abs/olute.pdf", pdf)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (unit,) = discover_units([str(shard)])
    docs = list(iter_unit_documents(unit, max_pdf_bytes=10**8))
    assert [d.key for d in docs] == ["../../escape", "/abs/olute"]
    assert not (tmp_path.parent.parent / "escape.pdf").exists()
    assert split_member_name("dir/0001234.pdf") == ("dir/0001234", "pdf")


def test_folder_of_pdfs_and_size_limit(tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    for rel in E2E_PDFS[:3]:
        (folder / corpus_pdf(rel).name).write_bytes(corpus_pdf(rel).read_bytes())
    units = discover_units([str(folder)], pdfs_per_unit=2)
    assert [u.unit_id for u in units] == ["pdfs-g00000", "pdfs-g00001"]
    items = [d for u in units for d in iter_unit_documents(u, max_pdf_bytes=10**8)]
    assert sorted(d.source_label for d in items) == sorted(corpus_pdf(r).name for r in E2E_PDFS[:3])
    small = [d for u in units for d in iter_unit_documents(u, max_pdf_bytes=100)]
    assert all(isinstance(d, tuple) and d[1] == "pdf_too_large" for d in small)


def test_truncated_shard_is_reported_not_raised(tmp_path, e2e_shard):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(e2e_shard.read_bytes()[:30000])
    (unit,) = discover_units([str(cut)])
    items = list(iter_unit_documents(unit, max_pdf_bytes=10**8))
    assert any(isinstance(i, tuple) and i[1] == "unreadable_shard" for i in items)
