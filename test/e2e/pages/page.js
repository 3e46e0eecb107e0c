/* global window, document, customElements */
// Shared by the e2e pages, as a module or a classic script: once <lstm-forecast> is defined it
// pushes a fixed series (a sine of period 24, no randomness), and it keeps what the element
// reports on window.report for the test to read.
(function () {
  var report = (window.report = {
    defined: false,
    ready: false,
    forecasts: 0,
    trains: 0,
    errors: [],
    last: null,
  });
  var el = document.querySelector('lstm-forecast');
  el.addEventListener('ready', function () {
    report.ready = true;
  });
  el.addEventListener('train', function () {
    report.trains++;
  });
  el.addEventListener('forecast', function (e) {
    report.forecasts++;
    report.last = e.detail;
  });
  el.addEventListener('forecast-error', function (e) {
    report.errors.push(e.detail);
  });
  customElements.whenDefined('lstm-forecast').then(function () {
    report.defined = true;
    var values = [];
    for (var i = 0; i < 200; i++) values.push(20 + 5 * Math.sin((2 * Math.PI * i) / 24));
    el.pushMany(values);
  });
})();
