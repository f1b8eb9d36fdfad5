"""Write the student edition of the notebooks: no solutions, a cell to fill in per exercise.

    python tools/student_edition.py [--out student] [notebooks/0*.ipynb ...]

For each notebook (read fresh every run), the cells up to its "## Solutions" heading are kept with
their stored outputs (the student sees the figures); the Solutions section (every worked
solution) is dropped, as are the quiz answers (their folded ``<details>`` block, "Answers") and the
lines pointing to either. Other folded blocks stay folded: a Try-it's "What you should see" is the
student's feedback, "Library names" a reference.
After the Exercises list come, for each exercise N, a heading "### Exercise N", a code cell to
fill in and, where ``gemlib.selfcheck`` has a check for it, a cell that runs the check on
``answer`` (then the fill-in cell starts ``answer = None``, so a check run first says "no answer
yet" instead of a NameError). A lesson code cell tagged ``write-it`` (the lines the text asks
the student to write, followed by a cell that compares them with gemlib) is left to fill in: its
lines and outputs are replaced by the names later cells read from it, and every later code cell of
its section (up to the next heading) that reads a name written by the student loses its stored
text output ("True", the numbers to reach), keeping any figure, and is tagged
``raises-exception``: before the student has written the names it stops at a NameError that
names the missing one, and Run All goes on to the rest of the lesson. The prompt's "The next cell is one
way to write it" becomes "Write yours in the next cell".
Execution counts are cleared; every notebook written is validated. The committed notebooks are
the teacher's copy and are never changed; ``student/`` is not committed (.gitignore).
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import textwrap
import tokenize
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gemlib import selfcheck  # noqa: E402  (the registry only: no TensorFlow at import)

WIDTH = 100  # the longest line a notebook cell may have
HEADING = re.compile(r"^## (?P<title>.+?)\s*$", re.MULTILINE)
ITEM = re.compile(r"^(?P<n>\d+)\.\s", re.MULTILINE)
DETAILS = re.compile(r"<details>\s*<summary>(?P<summary>[^<]*)</summary>.*?</details>\s*", re.DOTALL)
# the folded blocks the edition drops: the quiz answers; a Try-it's "What you should see", an
# Explain box's "Reasoning" and a reference table ("Library names") are kept, folded as they are
DROPPED_DETAILS = ("Answers",)
# one-line paragraphs that send the reader to the Solutions section
POINTER = re.compile(r"^[^\n]*\b(Solutions|solutions at the end)\b[^\n]*\n?", re.MULTILINE)
# a code cell the student writes: the teacher's copy shows it, the edition leaves it to fill in
WRITE_IT = "write-it"
# a sentence of the lesson that names one exercise may tell its result before the student works it
NAMED_EXERCISE = re.compile(r"\bexercises?\s+\d+", re.IGNORECASE)
# the teacher's prompt above a write-it cell, and what the student reads instead
ONE_WAY = re.compile(r"\b([Tt])he\s+next\s+cell\s+is\s+one\s+way\s+to\s+write\s+it\b")
# a cell tagged so stops at its error without stopping Run All (JupyterLab, Notebook, nbclient)
RAISES = "raises-exception"
# a markdown heading ends the section in which a write-it cell's names count as the student's
SECTION = re.compile(r"^#{1,6}\s", re.MULTILINE)


def notebook_key(path: Path) -> str:
    """The notebook's number, "05" for ``05_saliency_maps.ipynb``."""
    match = re.match(r"(\d\d)", path.name)
    if match is None:
        raise ValueError(f"{path}: a lesson notebook's name starts with its number (01_...)")
    return match.group(1)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _titles(text: str) -> list[str]:
    return [m.group("title") for m in HEADING.finditer(text)]


def solutions_index(cells) -> int | None:
    """Index of the first markdown cell with a "## Solutions" heading, or None."""
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and any(t.startswith("Solutions") for t in _titles(_source(cell))):
            return i
    return None


def split_exercises(text: str) -> tuple[str, str, str] | None:
    """(before, the "## Exercises" section, after) of a markdown cell, or None if it has none."""
    headings = list(HEADING.finditer(text))
    for k, m in enumerate(headings):
        if m.group("title").startswith("Exercises"):
            end = headings[k + 1].start() if k + 1 < len(headings) else len(text)
            return text[: m.start()], text[m.start(): end], text[end:]
    return None


def exercise_items(section: str) -> dict[int, str]:
    """Exercise number -> its text, from the numbered list of an Exercises section."""
    starts = list(ITEM.finditer(section))
    items = {}
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(section)
        items[int(m.group("n"))] = section[m.start(): end]
    return items


def _one_way(match: re.Match) -> str:
    return ("W" if match.group(1) == "T" else "w") + "rite yours in the next cell"


def _drop_answers(text: str) -> str:
    """Markdown without its folded quiz answers (``DROPPED_DETAILS``); other folded blocks stay."""
    return DETAILS.sub(lambda m: "" if m.group("summary").strip() in DROPPED_DETAILS else m.group(0),
                       text)


def _clean(text: str) -> str:
    """Markdown without quiz answers, without the lines that point to the Solutions, and with the
    write-it prompt addressed to the student ("Write yours in the next cell")."""
    cleaned = POINTER.sub("", _drop_answers(text))
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip() if cleaned != text else text.strip()
    return ONE_WAY.sub(_one_way, cleaned)


def _comment(text: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent="# ", subsequent_indent="# ")


def _wrap_call(call: str, width: int = WIDTH) -> str:
    """A call on one line, or its arguments wrapped under the opening parenthesis."""
    if len(call) <= width:
        return call
    head, args = call.split("(", 1)
    return textwrap.fill(args, width=width, initial_indent=head + "(",
                         subsequent_indent=" " * (len(head) + 1), break_long_words=False,
                         break_on_hyphens=False)


def _exercise_cells(key: str, items: dict[int, str], warnings: list[str]) -> list:
    cells = []
    for n, text in items.items():
        cells.append(nbformat.v4.new_markdown_cell(f"### Exercise {n}", id=f"student-{key}-ex{n}"))
        found = selfcheck.CHECKS.get((key, n))
        if found is not None and found.topic.lower() not in " ".join(text.split()).lower():
            warnings.append(f"notebook {key} exercise {n}: its text does not mention "
                            f"{found.topic!r}, the topic of its self-check; check left out")
            found = None
        # with a check, ``answer`` exists from the start, so a check run first says "no answer yet"
        fill_in = (f"# your code for exercise {n}" if found is None else
                   f"answer = None  # your code for exercise {n}: then give `answer` its value")
        cells.append(nbformat.v4.new_code_cell(fill_in, id=f"student-{key}-ex{n}-code"))
        if found is None:
            continue
        source = "\n".join([*_comment(f"{found.expects[0].upper()}{found.expects[1:]}, then run "
                                       "this cell."), "from gemlib import selfcheck", "",
                             _wrap_call(found.call())])
        cells.append(nbformat.v4.new_code_cell(source, id=f"student-{key}-ex{n}-check"))
    return cells


def assigned_names(source: str) -> list[str]:
    """Names a cell assigns (``x = ...``, ``a, b = ...``, ``with ... as t``), in order of appearance."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    inner = {id(n) for node in ast.walk(tree) if isinstance(node, ast.comprehension)
             for n in ast.walk(node.target)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and id(node) not in inner
                and node.id not in names):
            names.append(node.id)
    return sorted(names, key=lambda n: re.search(rf"\b{re.escape(n)}\b", source).start())


def read_names(source: str) -> set[str]:
    """The names a cell's code reads: comments and strings left out (so that "2,000 draws" in a
    comment does not count as reading ``draws``), the fields of an f-string kept (``f"{ours:.4f}"``
    reads ``ours``). IPython's ``%`` and ``!`` lines are left out before parsing."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                      for line in source.splitlines())
    try:
        return {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}
    except SyntaxError:
        pass
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return {t.string for t in tokens if t.type == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set(re.findall(r"\w+", source))


def section_code(cells) -> list[str]:
    """The sources of the code cells from the start of ``cells`` up to the next heading."""
    sources = []
    for cell in cells:
        if cell.cell_type == "markdown" and SECTION.search(_source(cell)):
            break
        if cell.cell_type == "code":
            sources.append(_source(cell))
    return sources


def names_to_define(source: str, later: list[str] | None = None) -> list[str]:
    """The names a write-it cell must define: with ``later`` (the sources of the later code cells
    of its section, ``section_code``), only those they read, loop variables left out (they are the
    student's own business); all of them if none is read."""
    names = assigned_names(source)
    if later is None:
        return names
    try:
        loops = {n.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.For)
                 for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    except SyntaxError:
        loops = set()
    names = [n for n in names if n not in loops] or names
    # a name counts as read only until a later cell assigns it itself (then it is that cell's)
    used, still_ours = set(), set(names)
    for source in later:
        own = set(assigned_names(source))
        used |= (read_names(source) & still_ours) - own
        still_ours -= own
    return [n for n in names if n in used] or names


def write_it_stub(source: str, later: list[str] | None = None) -> str:
    """What the edition puts in place of a "write it" cell: the task, and the names to define
    (``names_to_define``)."""
    names = names_to_define(source, later)
    define = ", ".join(f"`{n}`" for n in names) if names else "what the text above asks for"
    return "\n".join([*_comment(f"Write it yourself, as the text above explains: define {define}. "
                                 "The next cells use them, and one compares yours with gemlib's."),
                       "..."])


def named_exercises(cells) -> list[tuple[int, str]]:
    """(cell index, sentence) for each lesson sentence that names an exercise by its number.

    Only the teaching text counts: the Exercises section itself, the quiz answers and the
    Solutions are left out. A sentence there ("Exercise 4 finds the same for white") can give
    an exercise's result away before the student has worked it.
    """
    end = solutions_index(cells)
    found = []
    for i, cell in enumerate(cells[:end]):
        if cell.cell_type != "markdown":
            continue
        text = _drop_answers(_source(cell))
        parts = split_exercises(text)
        if parts is not None:
            text = parts[0]
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if NAMED_EXERCISE.search(sentence):
                found.append((i, " ".join(sentence.split())))
    return found


def student_notebook(nb: nbformat.NotebookNode, key: str, warnings: list[str] | None = None):
    """The student edition of one notebook (a new notebook; ``nb`` is left as it is)."""
    warnings = [] if warnings is None else warnings
    nb = nbformat.from_dict(nb)  # a deep copy
    cells = list(nb.cells)
    for i, sentence in named_exercises(cells):
        warnings.append(f"notebook {key} cell {i}: the lesson names an exercise, which may give its "
                        f"result away: {sentence[:80]!r}")
    end = solutions_index(cells)
    if end is None:
        warnings.append(f"notebook {key}: no '## Solutions' heading; every cell kept")
        end = len(cells)
    out = []
    placed = False
    written: set[str] = set()  # names the student writes in this section (write-it cells)
    for k, cell in enumerate(cells[:end]):
        if cell.cell_type == "code":
            cell.execution_count = None
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output.execution_count = None
            if WRITE_IT in cell.metadata.get("tags", []):
                later = section_code(cells[k + 1:end])
                written |= set(names_to_define(_source(cell), later))
                cell.source, cell.outputs = write_it_stub(_source(cell), later), []
            else:
                # a cell that reads what the student writes (the comparison with gemlib, and what
                # follows from it): its stored result ("True", the numbers to reach) would give
                # the answer away; a figure drawn from them stays, as every figure does. A name
                # the cell assigns itself is its own from there on, no longer the student's.
                own = set(assigned_names(_source(cell)))
                if (written & read_names(_source(cell))) - own:  # (code, not comments)
                    cell.outputs = [o for o in cell.outputs if "image/png" in o.get("data", {})]
                    # until the student has written the names, the cell stops at a NameError
                    # that names the missing one; Run All goes on past it (Jupyter's tag)
                    tags = cell.metadata.setdefault("tags", [])
                    if RAISES not in tags:
                        tags.append(RAISES)
                written -= own
            out.append(cell)
            continue
        if cell.cell_type != "markdown":
            out.append(cell)
            continue
        text = _source(cell)
        if SECTION.search(text):
            written = set()
        parts = split_exercises(text) if not placed else None
        if parts is None:
            if _clean(text) != text.strip():
                cell.source = _clean(text)
            out.append(cell)
            continue
        before, section, after = parts
        placed = True
        if before.strip():
            out.append(nbformat.v4.new_markdown_cell(_clean(before), id=f"{cell.id}-before"[:64]))
        cell.source = _clean(section)
        out.append(cell)
        out.extend(_exercise_cells(key, exercise_items(section), warnings))
        if after.strip():
            out.append(nbformat.v4.new_markdown_cell(_clean(after), id=f"{cell.id}-after"[:64]))
    if not placed:
        warnings.append(f"notebook {key}: no '## Exercises' heading; no cells to fill in")
    nb.cells = out
    nbformat.validate(nb)
    return nb


def write_student_edition(paths: list[Path], out_dir: Path) -> tuple[list[Path], list[str]]:
    """Write the student edition of ``paths`` into ``out_dir``; return the files and warnings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, warnings = [], []
    for path in sorted(paths):
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        nbformat.write(student_notebook(nb, notebook_key(path), warnings), target)
        written.append(target)
    return written, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="teacher's notebooks (default: notebooks/0*.ipynb)")
    parser.add_argument("--out", type=Path, default=REPO / "student", help="folder to write into")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO / "notebooks").glob("0*.ipynb"))
    if not paths:
        parser.error("no notebooks to convert")
    written, warnings = write_student_edition(paths, args.out)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    checks = sum(1 for p in written for c in nbformat.read(p, 4).cells
                 if c.cell_type == "code" and "selfcheck.check(" in c.source)
    print(f"wrote {len(written)} notebooks to {args.out} ({checks} self-check cells)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
