// Starts the vendored Swagger UI on /schema/swagger (lib/api_docs.py): a file of its own, since
// the CSP allows no inline script.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
