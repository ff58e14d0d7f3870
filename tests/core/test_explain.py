"""'Why not zero?' names round-off, bounds and zero truthfully (issue 17, points 5 and 6)."""


from aegui.cli import main
from aegui.core.floors.explain import why_not_zero
from aegui.core.floors.floors import Floor

DATA0 = Floor("data", 0.0, "lower bound", "")


def test_a_run_at_zero_is_not_left_to_the_optimizer():
    text = why_not_zero([DATA0, Floor("model", 0.0, "exact", "")], 0.0, "bce_logits", "an affine + sigmoid model")
    assert "reached 0" in text and "optimizer" not in text


def test_only_an_estimate_can_be_beaten_by_the_optimizer():
    floors = [DATA0, Floor("model", 0.3, "exact", "")]
    assert "beat" not in why_not_zero(floors, 0.29, "bce", "m")
    assert "beat that estimate" in why_not_zero([DATA0, Floor("model", 0.3, "estimate", "")], 0.29, "bce", "m")


def test_a_lower_bound_model_floor_is_worded_as_one():
    text = why_not_zero([Floor("data", 0.5, "lower bound", ""), Floor("model", 0.505, "lower bound", "")],
                        0.51, "bce", "a linear model with a 2-d code and a sigmoid")
    assert "at least 0.005 is what" in text and "at most 0.005 is left to the optimizer" in text


def test_round_off_is_named_where_saturated_outputs_hold_the_loss(capsys, data_dir):
    # The saturated preset: lr 10 drives the logits past float32's sigmoid; gradient exactly zero.
    import json
    assert main(["run", "--preset", "sigmoid-bce-saturated", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "round-off" in out["why_not_zero"] and "saturated" in out["why_not_zero"]
    assert "left to the optimizer" not in out["why_not_zero"] and "bce_logits" in out["why_not_zero"]
    assert main(["show", str(out["run_id"])]) == 0  # stored: the results pane and `show` say it too
    assert "round-off" in capsys.readouterr().out


def test_bce_on_logits_never_reports_round_off(capsys, data_dir):
    import json
    assert main(["run", "--preset", "logits-bce-bernoulli", "--json"]) == 0
    assert "round-off" not in json.loads(capsys.readouterr().out)["why_not_zero"]


def test_a_floor_left_out_for_size_is_said_so_not_unknown(monkeypatch):
    import numpy as np

    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.floors import logistic_wide
    from aegui.core.floors.floors import floors_for
    from aegui.core.floors.summary import floor_fields
    monkeypatch.setattr(logistic_wide, "WIDE_MAX_CELLS", 1000)  # as if the file were past the wide solve's memory
    x = (np.random.default_rng(0).random((200, 300)) > 0.7) * 0.9  # 300 columns: past the formed Hessians' 256
    c = with_changes(RunConfig(), **{"loss.kind": "bce", "model.output": "sigmoid", "data.features": 300})
    why = floor_fields(c, floors_for(c, x), 0.6, None)["why_not_zero"]
    assert "not at this data size" in why and "no floor is known" not in why


def test_a_wide_file_gets_a_model_floor_from_the_wide_solve(monkeypatch):
    import numpy as np

    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.floors import floors as floors_mod
    from aegui.core.floors.floors import FloorName, find, floors_for
    from aegui.core.floors.summary import floor_fields
    x = np.random.default_rng(0).random((600, 300))  # 300 columns: the Newton-CG solve's
    c = with_changes(RunConfig(), **{"loss.kind": "bce", "model.output": "sigmoid", "data.features": 300})
    real = floors_mod.wide_bracket
    # Cut short after two Newton steps, as a run's end does to a solve that has not finished
    monkeypatch.setattr(floors_mod, "wide_bracket", lambda x, stop=None: real(x, stop=stop, max_iterations=2))
    floors = floors_for(c, x, stop=lambda: False)
    model, reached = find(floors, FloorName.MODEL), find(floors, FloorName.REACHED)
    assert model is not None and model.claim == "lower bound" and model.value > find(floors, FloorName.DATA).value
    assert reached is not None and reached.value >= model.value
    assert "proven to lie in" in model.basis
    why = floor_fields(c, floors, 0.6, None)["why_not_zero"]
    assert "not at this data size" not in why and "no floor is known" not in why


def test_a_solve_stopped_before_its_bound_rose_claims_no_model_floor(monkeypatch):
    # Stop pressed as the run's wait began: the wide solve had no step done, its lower end the targets' entropy.
    import numpy as np

    from aegui.core.config.config import RunConfig, with_changes
    from aegui.core.floors import floors as floors_mod
    from aegui.core.floors.floors import FloorName, find, floors_for
    from aegui.core.floors.summary import floor_fields
    x = np.random.default_rng(0).random((600, 300))
    c = with_changes(RunConfig(), **{"loss.kind": "bce", "model.output": "sigmoid", "data.features": 300})
    real = floors_mod.wide_bracket
    monkeypatch.setattr(floors_mod, "wide_bracket", lambda x, stop=None: real(x, stop=lambda: True))
    floors = floors_for(c, x, stop=lambda: True)
    assert find(floors, FloorName.MODEL) is None  # nothing proven beyond the data's entropy
    reached = find(floors, FloorName.REACHED)
    assert reached is not None and reached.value > find(floors, FloorName.DATA).value
    why = floor_fields(c, floors, 0.6, None)["why_not_zero"]
    assert "a proven bound" not in why and "e-1" not in why
