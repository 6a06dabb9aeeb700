// Preact with htm's tagged templates: components without a build step (docs/WEB.md).
import { h, render } from '../vendor/preact.module.js';
import htm from '../vendor/htm.module.js';

export const html = htm.bind(h);
export { render };
export { useState, useEffect, useRef } from '../vendor/hooks.module.js';
