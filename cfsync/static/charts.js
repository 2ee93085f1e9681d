// cfsync browse: loaded in every page's <head>, before the dashboard's scripts. datasette-dashboards calls
// vegaEmbed(element, spec) and keeps nothing; this wraps vegaEmbed as soon as vega-embed defines it, so that
// each chart's rows are the dataset "rows" (the specs' expressions name it: data('rows'), e.g. to title an axis
// with the rows' currency), each chart renders as SVG (its text can be read and searched), and its vega-embed
// result (the view, the compiled spec) stays reachable as window.cfsyncCharts[<chart slug>], a promise: the
// Chromium tests read the rows each chart was given from it, and anyone can in the browser's console.
(() => {
  const charts = {};
  let wrapped;
  window.cfsyncCharts = charts;
  Object.defineProperty(window, "vegaEmbed", {
    configurable: true,
    get: () => wrapped,
    set: (embed) => {
      wrapped = Object.assign((element, spec, options) => {
        if (spec && spec.data && spec.data.values && !spec.data.name) {
          spec = { ...spec, data: { name: "rows", ...spec.data } };
        }
        const result = embed(element, spec, { renderer: "svg", actions: true, ...options });
        const slug = typeof element === "string" ? element : element.id;
        charts[slug.replace(/^#?chart-/, "")] = result;
        return result;
      }, embed);
    },
  });
})();
