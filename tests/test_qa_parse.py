from pipeline.qa_parse import parse_qa_json, parse_qa_text


def test_parse_reference_format():
    text = "Q1: What is it?\nA1: A test.\nQ2: Who made it?\nA2: Ann\nand Bob.\nQ3: Unanswered?"
    assert parse_qa_text(text) == [("What is it?", "A test."), ("Who made it?", "Ann\nand Bob."), ("Unanswered?", "")]


def test_parse_tolerates_markdown_and_preamble():
    text = "Here are questions:\n**Q1:** First?\n**A1:** One.\n- Q2. Second?\n- A2. Two."
    assert parse_qa_text(text) == [("First?", "One."), ("Second?", "Two.")]


def test_parse_json_format():
    text = '```json\n{"pairs": [{"question": "Q?", "answer": "A."}]}\n```'
    assert parse_qa_json(text) == [("Q?", "A.")]
    assert parse_qa_json("no json here") == []
