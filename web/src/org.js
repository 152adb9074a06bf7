// The organisation page's entry (built to dist/assets/org.js).
import { start } from './org/app.js'

start()
