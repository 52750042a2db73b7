import pytest

from server import ContentError, create_app
from server.config import load_config


def test_factory_builds_app_and_instance_folder(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path / "inst")})
    assert (tmp_path / "inst").is_dir()
    assert app.instance_path == str((tmp_path / "inst").resolve())
    assert app.extensions["mbr_content"].causes


def test_config_precedence_defaults_env_overrides():
    assert load_config(environ={})["PORT"] == 8000
    assert load_config(environ={})["HOST"] == "127.0.0.1"
    env = {"HOST": "0.0.0.0", "PORT": "9001", "MBR_FORCE_HSTS": "yes"}
    cfg = load_config(environ=env)
    assert (cfg["HOST"], cfg["PORT"], cfg["FORCE_HSTS"]) == ("0.0.0.0", 9001, True)
    assert load_config({"PORT": 1234}, environ=env)["PORT"] == 1234


def test_bad_environment_value_is_named():
    with pytest.raises(ValueError, match="PORT='eighty'"):
        load_config(environ={"PORT": "eighty"})


def test_broken_content_stops_start_up_naming_file_item_and_field(tmp_path, content_copy):
    path = content_copy / "exercises.yaml"
    text = path.read_text()
    # Break one field of one known item: its hold time becomes text.
    marker = "id: chin-tuck"
    assert marker in text
    head, tail = text.split(marker, 1)
    tail = tail.replace("hold_seconds:", "hold_seconds: lots #", 1)
    path.write_text(head + marker + tail)
    with pytest.raises(ContentError) as info:
        create_app({"CONTENT_DIR": str(content_copy), "INSTANCE_DIR": str(tmp_path / "i")})
    message = str(info.value)
    assert "content/exercises.yaml" in message
    assert "'chin-tuck'" in message
    assert "field 'hold_seconds'" in message


def test_python_m_server_check_reports_problems(content_copy, capsys):
    from server.__main__ import main

    assert main(["check", str(content_copy)]) == 0
    assert "content OK" in capsys.readouterr().out
    (content_copy / "causes.yaml").write_text(
        (content_copy / "causes.yaml").read_text().replace(
            "category: muscular-postural", "category: muscles", 1
        )
    )
    assert main(["check", str(content_copy)]) == 1
    out = capsys.readouterr().out
    assert "content/causes.yaml" in out and "field 'category'" in out and "'muscles'" in out


def _body_of(size: int) -> bytes:
    """A JSON document of exactly `size` bytes (an unknown field padded out)."""
    head, tail = b'{"answers": {}, "padding": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_request_bodies_are_limited_to_exactly_64_kib(client):
    assert load_config(environ={})["MAX_CONTENT_LENGTH"] == 64 * 1024
    at_limit = client.post("/api/v1/screening", data=_body_of(64 * 1024), content_type="application/json")
    # Read and validated (the padding is an unknown field), not refused for its size.
    assert at_limit.status_code == 422
    over = client.post("/api/v1/screening", data=_body_of(64 * 1024 + 1), content_type="application/json")
    assert over.status_code == 413
    assert over.get_json()["status"] == 413
