"""The student edition (tools/student_edition.py): no solutions, a cell per exercise, checks that run."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gemlib import selfcheck

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("0*.ipynb"))


def _tool():
    spec = importlib.util.spec_from_file_location("student_edition", REPO / "tools" / "student_edition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _tool()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition of the committed notebooks, written once: (teacher, student) per key."""
    before = {p: p.read_bytes() for p in NOTEBOOKS}
    out = tmp_path_factory.mktemp("student")
    written, warnings = tool.write_student_edition(NOTEBOOKS, out)
    assert {p: p.read_bytes() for p in NOTEBOOKS} == before  # the teacher's copy is untouched
    pairs = {tool.notebook_key(p): (nbformat.read(p, 4), nbformat.read(out / p.name, 4)) for p in NOTEBOOKS}
    return {"written": written, "warnings": warnings, "pairs": pairs, "out": out}


def _text(cell) -> str:
    return cell.source


def fill_in_cell(key: str, n: int) -> str:
    """The fill-in cell the edition should write: ``answer = None`` first where a check follows."""
    if (key, n) in selfcheck.CHECKS:
        return f"answer = None  # your code for exercise {n}: then give `answer` its value"
    return f"# your code for exercise {n}"


def _teacher_parts(nb):
    """(lesson cells before the Solutions, the solution cells, exercise number -> text)."""
    end = tool.solutions_index(nb.cells)
    assert end is not None, "every teacher's notebook has a '## Solutions' heading"
    items = {}
    for cell in nb.cells[:end]:
        parts = tool.split_exercises(cell.source) if cell.cell_type == "markdown" else None
        if parts:
            items = tool.exercise_items(parts[1])
    return nb.cells[:end], nb.cells[end:], items


def test_every_notebook_is_written_and_validates(edition):
    assert [p.name for p in edition["written"]] == [p.name for p in NOTEBOOKS]
    from nbconvert import PythonExporter

    for path in edition["written"]:
        nb = nbformat.read(path, 4)
        nbformat.validate(nb)
        script, _ = PythonExporter().from_notebook_node(nb)  # Jupyter's own reader opens it
        assert "# your code for exercise 1" in script


def test_no_solutions_no_quiz_answers_no_pointers_to_them(edition):
    for key, (teacher, student) in edition["pairs"].items():
        _, solutions, _ = _teacher_parts(teacher)
        for cell in student.cells:
            assert "## Solutions" not in cell.source, key
            assert "<summary>Answers</summary>" not in cell.source, key
            assert "Answers are in the Solutions" not in cell.source, key
            assert "Solutions are at the end" not in cell.source, key
        solution_code = {c.source for c in solutions if c.cell_type == "code"}
        assert solution_code, f"notebook {key} has worked solutions to remove"
        assert not solution_code & {c.source for c in student.cells}, key
    # a Try-it's feedback and the library table stay, folded
    kept = " ".join(c.source for _, student in edition["pairs"].values() for c in student.cells)
    assert kept.count("<summary>What you should see</summary>") >= 10
    assert "<summary>Library names</summary>" in kept


def test_a_line_pointing_to_the_solutions_is_whole_sentences():
    """The edition drops each line that points to the Solutions: that line must hold whole
    sentences, so no sentence of the lesson is cut in half (it starts after a blank line or a
    sentence's end, and ends one)."""
    import re

    ends = (".", "!", "?", ":", ")", "*")
    found = 0
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells[:tool.solutions_index(cells)]):
            if cell.cell_type != "markdown":
                continue
            lines = tool._drop_answers(cell.source).split("\n")
            for k, line in enumerate(lines):
                if not tool.POINTER.fullmatch(line):
                    continue
                found += 1
                before = lines[k - 1].rstrip() if k else ""
                item = re.match(r"\s*([*>-]|\d+\.)\s", line)
                assert (before == "" or before.endswith(ends) or item) and \
                    line.rstrip().endswith(ends), (path.name, i, line)
    assert found >= 5


def test_lesson_cells_kept_with_their_outputs_and_no_execution_counts(edition):
    for key, (teacher, student) in edition["pairs"].items():
        lesson, _, _ = _teacher_parts(teacher)
        ours = [c for c in student.cells if c.cell_type == "code" and not c.id.startswith("student-")]
        theirs = [c for c in lesson if c.cell_type == "code"]
        written = [tool.WRITE_IT in c.metadata.get("tags", []) for c in theirs]
        # the cells the student writes are stubs (their own test); every other one is kept as it is,
        # with its outputs, but for the comparison after a written cell (test below)
        assert [c.source for c, w in zip(ours, written) if not w] == \
            [c.source for c, w in zip(theirs, written) if not w], key
        reads = _reads_what_the_student_writes(lesson)
        for a, b, w in zip(ours, theirs, written):
            figures_only = [o for o in b.outputs if "image/png" in o.get("data", {})]
            if w:
                assert a.outputs == [], key
            elif b.id in reads:
                assert a.outputs == figures_only, key
            else:
                assert [o.get("output_type") for o in a.outputs] == \
                    [o.get("output_type") for o in b.outputs], key
        assert all(c.execution_count is None for c in student.cells if c.cell_type == "code"), key
        figures = sum("image/png" in o.get("data", {}) for c in ours for o in c.outputs)
        assert figures == sum("image/png" in o.get("data", {}) for c, w in zip(theirs, written)
                              for o in c.outputs if not w)
        # the teaching text is there word for word (but for the lines pointing to the Solutions)
        # (the answers under a "Try it", in <details>, are left out as the quiz answers are)
        text = [tool._clean(c.source) for c in lesson if c.cell_type == "markdown"
                and "Solutions" not in c.source and "## Exercises" not in c.source]
        assert len(text) > 5 and set(text) <= {c.source.strip() for c in student.cells}, key


def _reads_what_the_student_writes(cells) -> set[str]:
    """Ids of the code cells that, after a write-it cell and before the next heading, read a name
    the student defines there (and do not define it themselves)."""
    import re

    found, written = set(), set()
    for k, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            if re.search(r"^#{1,6}\s", cell.source, re.MULTILINE):
                written = set()
            continue
        if tool.WRITE_IT in cell.metadata.get("tags", []):
            written |= set(tool.names_to_define(cell.source, tool.section_code(cells[k + 1:])))
            continue
        own = set(tool.assigned_names(cell.source))
        if (written & tool.read_names(cell.source)) - own:
            found.add(cell.id)
        written -= own
    return found


def test_no_stored_result_after_a_written_cell_gives_the_answer_away(edition):
    """A comparison's "True" or its numbers, anywhere in the write-it cell's section, are gone
    (they were kept once when a figure cell stood between the written cell and the comparison)."""
    import re

    checked = 0
    for key, (teacher, student) in edition["pairs"].items():
        lesson, _, _ = _teacher_parts(teacher)
        kept = {c.id: c for c in student.cells}
        reads = _reads_what_the_student_writes(lesson)
        for cell in lesson:
            text = " ".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                            for o in cell.get("outputs", []))
            if cell.id in reads and re.search(r"\bTrue\b", text):
                checked += 1
                stored = kept[cell.id].outputs
                assert all("image/png" in o.get("data", {}) for o in stored), (key, cell.id)
    assert checked >= 8, "the lesson's comparisons print True after the student's cells"


def test_one_fill_in_cell_per_exercise_after_the_list(edition):
    for key, (teacher, student) in edition["pairs"].items():
        _, _, items = _teacher_parts(teacher)
        assert list(items) == list(range(1, len(items) + 1)), f"notebook {key}: exercises 1, 2, ..."
        sources = [c.source for c in student.cells]
        fill_in = [s for s in sources if "# your code for exercise" in s]
        assert fill_in == [fill_in_cell(key, n) for n in items], key
        headings = [s for s in sources if s.startswith("### Exercise ")]
        assert headings == [f"### Exercise {n}" for n in items], key
        exercises = next(i for i, s in enumerate(sources) if s.lstrip().startswith("## Exercises"))
        assert sources.index(headings[0]) == exercises + 1, key


def test_every_check_sits_under_its_exercise_and_its_topic_matches(edition):
    assert not [w for w in edition["warnings"] if "check left out" in w], edition["warnings"]
    for (key, n), found in selfcheck.CHECKS.items():
        _, student = edition["pairs"][key]
        sources = [c.source for c in student.cells]
        cells = [i for i, s in enumerate(sources) if f'selfcheck.check("{key}", {n}, answer' in s]
        assert len(cells) == 1, (key, n)
        assert sources[cells[0] - 1] == fill_in_cell(key, n), (key, n)
        assert sources[cells[0] - 1].startswith("answer = None  # "), (key, n)
        assert all(len(line) <= 100 for line in sources[cells[0]].splitlines()), (key, n)
        _, _, items = _teacher_parts(edition["pairs"][key][0])
        assert found.topic.lower() in " ".join(items[n].split()).lower(), (key, n)


def test_the_tool_on_a_small_notebook_and_a_renumbered_exercise():
    nb = nbformat.v4.new_notebook()
    lesson = nbformat.v4.new_code_cell("x = 1", execution_count=3,
                                       outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "1"},
                                                                       execution_count=3)])
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson"), lesson,
                nbformat.v4.new_markdown_cell(
                    "## Check your understanding\n\n1. Why?\n\nAnswers are in the Solutions at the end."
                    "\n\n## Exercises\n\n1. **Write it.** VarGrad with 10 noisy\n   copies, by hand.\n"
                    "4. Something else.\n\nSolutions are at the end of this notebook.\n\n"
                    "## References\n\n* A paper."),
                nbformat.v4.new_markdown_cell("## Solutions\n\n<details>1. Because.</details>"),
                nbformat.v4.new_code_cell("secret = 42")]
    warnings = []
    out = tool.student_notebook(nb, "05", warnings)
    assert warnings == []
    sources = [c.source for c in out.cells]
    assert sources[:2] == ["# Lesson", "x = 1"]
    assert out.cells[1].execution_count is None and out.cells[1].outputs[0].execution_count is None
    assert sources[2] == "## Check your understanding\n\n1. Why?"
    assert sources[3] == ("## Exercises\n\n1. **Write it.** VarGrad with 10 noisy\n   copies, by hand.\n"
                          "4. Something else.")
    assert sources[4:6] == ["### Exercise 1",
                            "answer = None  # your code for exercise 1: then give `answer` its value"]
    assert 'selfcheck.check("05", 1, answer, model=model' in sources[6]
    assert sources[7:9] == ["### Exercise 4", "# your code for exercise 4"]  # 05's 4 has no check
    assert sources[9] == "## References\n\n* A paper."
    assert len(sources) == 10 and not any("secret" in s or "Because" in s for s in sources)
    assert len(nb.cells) == 5  # the input is left as it was
    # the exercise renumbered: its text no longer fits the check, which is left out, loudly
    nb.cells[2].source = nb.cells[2].source.replace("VarGrad with 10 noisy\n   copies", "Draw a map")
    warnings = []
    out = tool.student_notebook(nb, "05", warnings)
    assert not any("selfcheck" in c.source or "answer" in c.source for c in out.cells)
    assert "# your code for exercise 1" in [c.source for c in out.cells]
    assert warnings and "exercise 1" in warnings[0] and "check left out" in warnings[0]


def test_the_lesson_names_no_exercise_before_the_student_works_it(edition):
    named = [w for w in edition["warnings"] if "names an exercise" in w]
    assert named == [], "\n".join(named)


def test_a_sentence_naming_an_exercise_is_found_only_in_the_teaching_text():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Grey costs 20 points. Exercise 4 finds the same for white."),
                nbformat.v4.new_code_cell("exercise = 4"),
                nbformat.v4.new_markdown_cell("<details><summary>Answers</summary>As exercise 2 shows."
                                              "</details> See the exercises."),
                nbformat.v4.new_markdown_cell("## Exercises\n\n1. Do exercise 2 first."),
                nbformat.v4.new_markdown_cell("## Solutions\n\nExercise 1: done.")]
    assert tool.named_exercises(nb.cells) == [(0, "Exercise 4 finds the same for white.")]
    warnings = []
    tool.student_notebook(nb, "06", warnings)
    assert any("cell 0: the lesson names an exercise" in w for w in warnings)


def test_a_write_it_cell_is_left_to_fill_in_with_the_names_it_must_define():
    source = ("x = tf.constant(images[:1])  # one photo\nwith tf.GradientTape() as tape:\n"
              "    logit = model(x)[0, c]\ngrad, _ = tape.gradient(logit, x), [k for k in range(3)]\n"
              "grad.shape")
    assert tool.assigned_names(source) == ["x", "tape", "logit", "grad", "_"]
    nb = nbformat.v4.new_notebook()
    written = nbformat.v4.new_code_cell(source, metadata={"tags": ["write-it"]}, execution_count=2,
                                        outputs=[nbformat.v4.new_output("stream", text="(128, 128, 3)")])
    compare = nbformat.v4.new_code_cell("np.allclose(grad, explain.gradient(model, x, [c]))",
                                        outputs=[nbformat.v4.new_output("execute_result",
                                                                        {"text/plain": "True"})])
    nb.cells = [nbformat.v4.new_markdown_cell("Write the gradient."), written, compare,
                nbformat.v4.new_markdown_cell("## Solutions")]
    out = tool.student_notebook(nb, "05", [])
    stub = out.cells[1]
    assert stub.outputs == [] and "tf.GradientTape" not in stub.source and "(128" not in str(stub)
    # only the names a later cell reads: the tape and the logit are the student's own business
    assert "define `x`, `grad`." in " ".join(stub.source.replace("# ", "").split())
    assert stub.source.splitlines()[-1] == "..." and all(len(l) <= 100 for l in stub.source.splitlines())
    assert out.cells[2].source == compare.source  # the comparison stays: it is the student's check
    assert out.cells[2].outputs == []  # without the teacher's "True" before the student has written
    assert nb.cells[1].source == source  # the teacher's notebook is left as it was


def test_a_figure_between_written_cells_and_their_comparison_keeps_the_comparison_blank():
    def code(source, text=None, figure=False, tags=()):
        outputs = [nbformat.v4.new_output("stream", text=text)] if text else []
        if figure:
            outputs.append(nbformat.v4.new_output("display_data", {"image/png": "iVBORw0KGgo="}))
        return nbformat.v4.new_code_cell(source, outputs=outputs, metadata={"tags": list(tags)})

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The next cell is one way to write it."),
                code("grad = g(x)", "(3,)", tags=["write-it"]),
                nbformat.v4.new_markdown_cell("Then the next cell is one way to write it too."),
                code("for k in range(3):\n    smooth = grad + k", tags=["write-it"]),
                code("plt.imshow(smooth)", "<AxesImage>", figure=True),
                code("print(np.allclose(grad, lib(x)), np.allclose(smooth, lib2(x)))", "True True"),
                code("grad = lib(x)\nprint(grad.max())", "0.5"),  # its own grad from here on
                code("print(grad.min())", "0.1"),
                nbformat.v4.new_markdown_cell("## Next part"),
                code("print(smooth.sum())", "6.0"),
                nbformat.v4.new_markdown_cell("## Solutions")]
    out = tool.student_notebook(nb, "05", [])
    assert out.cells[0].source == "Write yours in the next cell."
    assert out.cells[2].source == "Then write yours in the next cell too."
    assert "define `smooth`." in " ".join(out.cells[3].source.replace("# ", "").split())  # not k
    assert [o.output_type for o in out.cells[4].outputs] == ["display_data"]  # the figure stays
    assert out.cells[5].outputs == []  # the "True True" is gone though a figure came between
    assert [o.text for o in out.cells[6].outputs] == ["0.5"]  # a cell with its own grad keeps it
    assert [o.text for o in out.cells[7].outputs] == ["0.1"]
    assert [o.text for o in out.cells[9].outputs] == ["6.0"]  # a new section: the lesson's own
    # a name only a comment mentions, or only a cell that assigns it first reads, is not asked for
    later = ["print(x)  # the 2,000 draws\nprint('draws')", "total = 0\ntotal = total + x"]
    assert tool.names_to_define("draws = f()\ntotal = g(draws)\nx = 2", later) == ["x"]
    # a name read only inside an f-string's field is read; one inside a plain string is not
    assert tool.read_names('print(f"ours {ours:.4f}", "theirs")\n%time x') == {"print", "ours"}


def test_run_all_goes_past_a_comparison_the_student_has_not_written_yet():
    """Before the student writes ``total``, its comparison stops at a NameError naming it, tagged
    so that running the whole notebook goes on to the next section; once written, it runs."""
    from nbclient import NotebookClient

    def code(source, tags=()):
        return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)})

    nb = nbformat.v4.new_notebook()
    nb.cells = [code("total = 1 + 2", tags=["write-it"]), code("print(total == 3)"),
                nbformat.v4.new_markdown_cell("## Next part"), code("print('next part runs')"),
                nbformat.v4.new_markdown_cell("## Solutions")]
    out = tool.student_notebook(nb, "03", [])
    assert tool.RAISES in out.cells[1].metadata["tags"]
    assert tool.RAISES not in out.cells[3].metadata.get("tags", [])
    NotebookClient(out, timeout=60, kernel_name="python3").execute()
    assert out.cells[1].outputs[0].ename == "NameError" and "total" in out.cells[1].outputs[0].evalue
    assert out.cells[3].outputs[0].text == "next part runs\n"
    out.cells[0].source = "total = 1 + 2"  # the student's lines
    NotebookClient(out, timeout=60, kernel_name="python3").execute()
    assert out.cells[1].outputs[0].text == "True\n"


def test_every_write_it_cell_of_the_lesson_is_blanked_and_followed_by_its_comparison(edition):
    tagged = 0
    for key, (teacher, student) in edition["pairs"].items():
        kept = {c.id: c for c in student.cells}
        for i, cell in enumerate(teacher.cells):
            if "write-it" not in cell.metadata.get("tags", []):
                continue
            tagged += 1
            assert cell.cell_type == "code" and tool.assigned_names(cell.source), (key, i)
            later = tool.section_code(teacher.cells[i + 1:])
            assert kept[cell.id].source == tool.write_it_stub(cell.source, later), (key, i)
            later = " ".join(c.source for c in teacher.cells[i + 1:i + 4] if c.cell_type == "code")
            assert any(n in later for n in tool.assigned_names(cell.source)), (key, i)
            # the comparison right after it keeps no printed result (an f-string's fields count)
            after = next(c for c in teacher.cells[i + 1:] if c.cell_type == "code")
            assert all("image/png" in o.get("data", {}) for o in kept[after.id].outputs), (key, i)
    assert tagged >= 8, "the lesson asks the student to write at least eight cells"


def test_command_line_and_make_target_and_gitignore(tmp_path, capsys):
    assert tool.main(["--out", str(tmp_path), str(NOTEBOOKS[1])]) == 0
    assert "wrote 1 notebooks" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [NOTEBOOKS[1].name]
    makefile = (REPO / "Makefile").read_text()
    assert "\nstudent:" in makefile and "tools/student_edition.py --out student" in makefile
    ignored = subprocess.run(["git", "check-ignore", "-q", "student/01_data_exploration.ipynb"],
                             cwd=REPO)
    assert ignored.returncode == 0, "student/ must be in .gitignore"


def test_a_check_cell_of_the_student_edition_runs_and_says_right(edition):
    """End to end: notebook 02's check cell, run after the teacher's solution pasted in."""
    _, student = edition["pairs"]["02"]
    check_cell = next(c.source for c in student.cells if 'selfcheck.check("02", 4' in c.source)
    rng = np.random.default_rng(1)
    stone = np.zeros((64, 64, 3), np.uint8)
    stone[16:48, 16:48] = (40, 90, 200)
    stone[:16] = (250, 250, 250)
    views = np.uint8(np.clip(stone.astype(int) + rng.integers(-30, 30, (32, 1, 1, 3)), 0, 255))
    jittered = np.uint8(np.clip(views.astype(int) + rng.integers(-60, 60, (32, 1, 1, 3)), 0, 255))
    namespace = {"np": np, "stone": stone, "views": views, "jittered": jittered}
    pasted = (  # the teacher's solution for both recipes, then the answer
        "before = stone.reshape(-1, 3).mean(0)\n"
        "far = {name: np.linalg.norm(copies.reshape(32, -1, 3).mean(axis=1) - before, axis=1)\n"
        "       for name, copies in (('views', views), ('jittered', jittered))}\n"
        "answer = far\n")
    fill_in = next(c.source for c in student.cells if c.source.startswith("answer = None  # your code "
                                                                           "for exercise 4"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(fill_in, namespace)  # the check run before any code is written
        exec(check_cell, namespace)
        exec(pasted, namespace)
        exec(check_cell, namespace)
        namespace["answer"] = {**namespace["far"], "views": namespace["far"]["views"] ** 2}
        exec(check_cell, namespace)
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("Exercise 4 of notebook 02: no answer yet: put "), lines[0]
    lines = lines[1:]
    assert lines[0] == "Exercise 4 of notebook 02: right."
    assert lines[1].startswith("Exercise 4 of notebook 02: not yet") and "squared" in lines[1]
