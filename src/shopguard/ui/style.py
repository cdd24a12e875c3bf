"""The application's look: one light style sheet on top of Qt's Fusion style."""

from __future__ import annotations

ACCENT = "#2f6fb5"

STYLE_SHEET = f"""
QWidget {{ font-size: 10pt; }}
QListWidget#sidebar {{
    background: #f1f3f6;
    border: none;
    border-right: 1px solid #d9dde3;
    padding-top: 10px;
    outline: 0;
}}
QListWidget#sidebar::item {{
    padding: 9px 16px;
    border-radius: 6px;
    margin: 1px 8px;
    color: #2b2f36;
}}
QListWidget#sidebar::item:selected {{ background: {ACCENT}; color: white; }}
QListWidget#sidebar::item:hover:!selected {{ background: #e2e6ec; }}
QLabel#brand {{
    font-size: 13pt;
    font-weight: 600;
    padding: 14px 18px 4px 18px;
    background: #f1f3f6;
    color: #1d2229;
}}
QLabel#pageTitle {{ font-size: 15pt; font-weight: 600; color: #1d2229; }}
QLabel#dialogTitle {{ font-size: 13pt; font-weight: 600; }}
QLabel#emptyTitle {{ font-size: 14pt; font-weight: 600; color: #1d2229; }}
QLabel#subtle {{ color: #5c6470; }}
QLabel#helpText {{ color: #3d4450; }}
QLabel#message[tone="ok"] {{ color: #1b7a36; }}
QLabel#message[tone="warning"] {{ color: #8a5300; }}
QLabel#message[tone="error"] {{ color: #b3261e; }}
QLabel#message[tone="busy"] {{ color: #5c6470; }}
QLabel#banner {{ padding: 8px 10px; border-radius: 6px; background: #eef2f7; }}
QLabel#banner[tone="ok"] {{ background: #e8f4ec; color: #1b6b31; }}
QLabel#banner[tone="warning"] {{ background: #fff4e0; color: #7a4a00; }}
QLabel#banner[tone="error"] {{ background: #fdecea; color: #a1221b; }}
QPushButton {{ padding: 5px 14px; }}
QPushButton#primary {{
    background: {ACCENT};
    color: white;
    border: 1px solid #285f9c;
    border-radius: 4px;
    padding: 5px 16px;
}}
QPushButton#primary:disabled {{ background: #9db6d3; border-color: #9db6d3; }}
QPushButton#primary:hover:!disabled {{ background: #2a64a4; }}
QTableView {{
    border: 1px solid #d9dde3;
    gridline-color: #e6e9ee;
    selection-background-color: #d7e5f5;
    selection-color: #1d2229;
    alternate-background-color: #f7f8fa;
}}
QTableView::item {{ padding-left: 4px; padding-right: 4px; }}
QHeaderView::section {{
    background: #f4f5f7;
    border: none;
    border-bottom: 1px solid #d9dde3;
    border-right: 1px solid #e6e9ee;
    padding: 5px 6px;
    font-weight: 600;
}}
QProgressBar {{
    border: 1px solid #c9ced6;
    border-radius: 4px;
    text-align: center;
    min-height: 20px;
    background: #f4f5f7;
}}
QProgressBar::chunk {{ background: #8fb3dc; border-radius: 3px; }}
QLabel#detailTitle {{ font-size: 13pt; font-weight: 600; color: #1d2229; }}
QLabel#sectionTitle {{ font-weight: 600; color: #1d2229; padding-top: 8px; }}
QProgressBar#reasonRaises, QProgressBar#reasonLowers {{
    min-height: 0px;
    border: none;
    border-radius: 3px;
    background: #e6e9ee;
}}
QProgressBar#reasonRaises::chunk {{ background: #D55E00; border-radius: 3px; }}
QProgressBar#reasonLowers::chunk {{ background: #0072B2; border-radius: 3px; }}
QGroupBox {{ font-weight: 600; margin-top: 12px; padding-top: 8px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 2px; }}
"""
