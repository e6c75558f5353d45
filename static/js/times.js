// Times in the viewer's time zone and the page's language. The server renders every <time data-local> in UTC
// (which stays if this script does not run); here each becomes local: "datetime" shows the date and time,
// "relative" how long ago ("2 hours ago"), and the title (shown on hover) gives the exact local time.

(() => {
  const language = document.documentElement.lang || undefined;
  const exact = new Intl.DateTimeFormat(language, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  const shown = new Intl.DateTimeFormat(language, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
  const relative = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function ago(moment) {
    const seconds = (moment.getTime() - Date.now()) / 1000;
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) {
        return relative.format(Math.round(seconds / size), unit);
      }
    }
    return relative.format(Math.round(seconds), "second");
  }

  function localize(root) {
    // Times rendered before data-local (relative words on the server): their exact time on hover, local.
    for (const element of root.querySelectorAll("time[datetime]:not([data-local])[title]")) {
      const moment = new Date(element.dateTime);
      if (!Number.isNaN(moment.getTime())) {
        element.title = exact.format(moment);
      }
    }
    for (const element of root.querySelectorAll("time[data-local]")) {
      const moment = new Date(element.dateTime);
      if (Number.isNaN(moment.getTime())) {
        continue;
      }
      element.title = exact.format(moment);
      element.textContent = element.dataset.local === "relative" ? ago(moment) : shown.format(moment);
    }
  }

  document.addEventListener("DOMContentLoaded", () => localize(document));
})();
