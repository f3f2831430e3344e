from docmatix.pipeline.generate.qa_parse import parse_qa_json, parse_qa_text


def test_parse_reference_format():
    text = "Q1: What is it?\nA1: A test.\nQ2: Who made it?\nA2: Ann\nand Bob.\nQ3: Unanswered?"
    assert parse_qa_text(text) == [("What is it?", "A test."), ("Who made it?", "Ann\nand Bob."), ("Unanswered?", "")]


def test_parse_tolerates_markdown_and_preamble():
    text = "Here are questions:\n**Q1:** First?\n**A1:** One.\n- Q2. Second?\n- A2. Two."
    assert parse_qa_text(text) == [("First?", "One."), ("Second?", "Two.")]


def test_parse_spelled_out_and_unnumbered_markers():
    text = "Q: What is it?\nA: A test.\nQuestion 2: Who?\nAnswer 2: Ann.\n**Question:** Why?\n**Answer:** Because."
    assert parse_qa_text(text) == [("What is it?", "A test."), ("Who?", "Ann."), ("Why?", "Because.")]


def test_unnumbered_letter_without_colon_is_text():
    text = "Q1: Who wrote it?\nA1: The authors:\nA. Smith and\nQ. Jones."
    assert parse_qa_text(text) == [("Who wrote it?", "The authors:\nA. Smith and\nQ. Jones.")]


def test_a_numbered_list_of_questions_is_no_pair():
    assert parse_qa_text("1. What is this form for?\n2. What is this form for?") == []


def test_parse_json_format():
    text = '```json\n{"pairs": [{"question": "Q?", "answer": "A."}]}\n```'
    assert parse_qa_json(text) == [("Q?", "A.")]
    assert parse_qa_json("no json here") == []
