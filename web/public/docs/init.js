// Swagger UI (swagger-ui-dist, served by the host from the package) over the platform's own
// OpenAPI document. A file of its own, not an inline script: the page's CSP allows only 'self'.
window.ui = window.SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
});
