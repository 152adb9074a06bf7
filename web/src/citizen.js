// The citizen page's entry (built to dist/assets/citizen.js).
import { start } from './citizen/app.js'

start()
