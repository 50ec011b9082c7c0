"""HTTP edges: parse, call the core, serialise."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint as _Blueprint

from ..services import Services
from .errors import Parser


class Blueprint(_Blueprint):
    """flask-smorest blueprint whose argument errors are our 400 shape."""

    ARGUMENTS_PARSER = Parser()


def services() -> Services:
    return current_app.extensions["adserver"]
