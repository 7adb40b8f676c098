"""Analyses, faces and live sessions. Models arrive with the upload and history issues."""
