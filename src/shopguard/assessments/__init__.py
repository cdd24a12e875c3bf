"""Assessments (LIA, DPIA): templates as data, answers, the ICO rules, versions and the PDF.

Qt-free except ``pdf``, which renders with QtGui (no widgets).
"""
