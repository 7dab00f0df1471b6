// Shows each <time data-local> in the reader's own time zone, naming it (the server renders UTC: it cannot know the zone).
(function () {
  'use strict';
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  var format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  document.querySelectorAll('time[data-local]').forEach(function (element) {
    var moment = new Date(element.getAttribute('datetime'));
    if (isNaN(moment.getTime())) return;
    element.title = element.textContent;
    element.textContent = format.format(moment) + ' (' + (/^(Etc\/)?(UTC|GMT)$/.test(zone) ? 'UTC' : zone + ' time') + ')';
  });
})();
