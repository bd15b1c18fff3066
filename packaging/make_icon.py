"""Draw the app icon (packaging/linux/nahawi-app.png, 256×256): the letter nun in the shipped Noto Naskh
Arabic Bold on a rounded square, over a wavy underline like the editor's. Run once when the design changes:
    QT_QPA_PLATFORM=offscreen python packaging/make_icon.py
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter, QPainterPath, QPen

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "nahawi_app" / "resources" / "fonts" / "NotoNaskhArabic-Bold.ttf"
OUT = ROOT / "packaging" / "linux" / "nahawi-app.png"
SIZE = 256


def wave(left: float, right: float, y: float, amplitude: float, period: float) -> QPainterPath:
    path = QPainterPath(QPointF(left, y))
    steps = int((right - left) / 2)
    for i in range(1, steps + 1):
        x = left + (right - left) * i / steps
        path.lineTo(x, y + amplitude * math.sin(2 * math.pi * (x - left) / period))
    return path


def draw() -> QImage:
    family = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(FONT)))[0]
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#17615b"))
    painter.drawRoundedRect(QRectF(8, 8, SIZE - 16, SIZE - 16), 48, 48)
    font = QFont(family)
    font.setPixelSize(170)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRectF(0, -22, SIZE, SIZE), Qt.AlignmentFlag.AlignCenter, "ن")
    painter.setPen(QPen(QColor("#f2a33a"), 9, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(wave(58, 198, 206, 7, 35))
    painter.end()
    return image


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    sys.exit(0 if draw().save(str(OUT), "PNG") else 1)
