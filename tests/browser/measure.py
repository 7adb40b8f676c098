"""Layout checks shared by the browser tests: the two screen sizes and one pass over a page."""

from __future__ import annotations

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
MIN_TEXT_PX = 11

# One pass over the page: sideways scroll (and the outermost elements that cause it), boxes that cut
# their content off, text below the minimum. Code blocks scroll on purpose and are left out, as is
# anything marked data-scroll-x.
MEASURE = """(minText) => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.classList.length ? "." + [...el.classList].join(".") : "");
  const root = document.documentElement;
  const result = { viewport: innerWidth, pageWidth: Math.max(root.scrollWidth, document.body.scrollWidth),
                   overflowing: [], clipped: [], smallText: [], smallChartText: [], cutChartText: [], charts: 0 };
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, pre, [data-scroll-x], input, select, textarea") || !visible(el)) continue;
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;  // screen-reader-only text
    if (r.right > innerWidth + 1 && el.parentElement.getBoundingClientRect().right <= innerWidth + 1) {
      result.overflowing.push(name(el) + " to " + Math.round(r.right) + " px");
    }
    if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) result.clipped.push(name(el));
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (ownText && parseFloat(style.fontSize) < minText) {
      result.smallText.push(name(el) + " " + style.fontSize + ": " + el.textContent.trim().slice(0, 30));
    }
  }
  for (const t of document.querySelectorAll("svg.chart text")) {
    if (!visible(t)) continue;
    result.charts += 1;
    const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
    if (size < minText) result.smallChartText.push(t.textContent.trim() + " " + size.toFixed(1) + "px");
    const box = t.getBoundingClientRect(), chart = t.ownerSVGElement.getBoundingClientRect();
    if (box.left < chart.left - 1 || box.right > chart.right + 1) result.cutChartText.push(t.textContent.trim());
  }
  return result;
}"""


def problems_of(page) -> list[str]:
    """What is wrong with the page as shown now: sideways scroll, cut-off boxes, text too small."""
    m = page.evaluate(MEASURE, MIN_TEXT_PX)
    problems = []
    if m["pageWidth"] > m["viewport"]:
        problems.append(f"scrolls sideways: {m['pageWidth']} px wide in a {m['viewport']} px window "
                        f"({', '.join(m['overflowing'])})")
    problems += [f"cuts off its content: {c}" for c in m["clipped"]]
    problems += [f"text under {MIN_TEXT_PX} px: {t}" for t in m["smallText"]]
    problems += [f"chart text under {MIN_TEXT_PX} px: {t}" for t in m["smallChartText"]]
    problems += [f"chart text cut off at the chart's edge: {t}" for t in m["cutChartText"]]
    return problems
