"""Numbers on the command line are numbers as people write them (issue 18, point 16: `1_0` is not 10), and
a file that holds more than its size says is refused unread (point 8). The rest of points 15-16 is in
test_inputs_read_right.py."""

import pytest

from aegui import cli
from aegui.core.data import data as data_mod


@pytest.mark.parametrize("argv,needle", [
    (["run", "--epochs", "1_0"], "training.epochs = '1_0': must be a whole number"),
    (["run", "--lr", "1_0.5"], "optimizer.lr = '1_0.5': must be a finite number"),
    (["run", "--seeds", "1_0"], "--seeds: invalid int value: '1_0'"),
    (["show", "1_0"], "run_id: invalid int value: '1_0'"),
])
def test_digit_separators_in_number_flags_are_refused(capsys, data_dir, argv, needle):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_a_file_holding_more_than_its_size_is_refused_unread(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"1,2\n" * 1000)
    with pytest.raises(data_mod.DataError, match="holds more than the 40 bytes its size says"):
        data_mod._csv_shape(str(path), size=40)  # what a pseudo-file whose stat size lies looks like
