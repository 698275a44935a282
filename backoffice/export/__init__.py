"""Diffusion: LHEO feed and exports (this package), LHEO import, partner API.

`init_diffusion(app)` registers the blueprints (lheo, api, grid export jobs).
"""
from flask import Flask


def init_diffusion(app: Flask) -> None:
    """Register the LHEO feed, the partner API and the grid export routes on the app."""
    from ..api import init_api
    from .grid_views import bp as grid_bp
    from .views import bp as lheo_bp
    app.register_blueprint(lheo_bp)
    app.register_blueprint(grid_bp)
    init_api(app)
