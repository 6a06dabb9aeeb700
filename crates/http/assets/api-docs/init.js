// Starts Swagger UI on the served document. Kept in a file of its own: the page's
// Content-Security-Policy allows scripts from this origin only, never inline ones.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Never send the document to the public validator service.
    validatorUrl: null,
    // Requests made from the page carry the session cookie of this origin.
    withCredentials: true,
  });
});
