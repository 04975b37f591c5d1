(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[type=submit]");
    if (button) { button.classList.add("is-sending"); }
  });
  var cv = document.getElementById("cv");
  var warning = document.getElementById("cv-size-warning");
  if (cv && warning) {
    cv.addEventListener("change", function () {
      var file = cv.files && cv.files[0];
      warning.hidden = !(file && file.size > 10485760);
    });
  }
})();
