{{- /*
istiod.literal renders a string as a YAML literal block scalar, for (list TEXT KEY_INDENT) where
KEY_INDENT is the column of the key the scalar belongs to: "|" plus the chomping indicator that keeps
TEXT's trailing newlines exactly (strip without one, clip with one, keep with more), then TEXT indented
two columns deeper than the key. Text whose first line starts with a space gets an explicit indentation
indicator (|2), which keeps it intact; empty lines get no indentation (nindent would give them some),
lines of spaces keep theirs. This is what toYaml would choose for such a string, written out directly:
encoding the injection templates through toYaml cost a fifth of a whole `manifest generate`.
*/ -}}
{{- define "istiod.literal" -}}
{{- $text := index . 0 -}}
{{- $indent := add (index . 1) 2 | int -}}
{{- $chomp := "-" -}}
{{- if hasSuffix "\n\n" $text }}{{ $chomp = "+" }}{{ else if hasSuffix "\n" $text }}{{ $chomp = "" }}{{ end -}}
{{- $pad := repeat $indent " " -}}
{{- $empty := printf "\n%s\n" $pad -}}
{{- /* Two passes: one replace leaves every other line of a run of empty lines indented. */ -}}
|{{ if hasPrefix " " (trimAll "\n" $text) }}2{{ end }}{{ $chomp }}{{ trimSuffix (printf "\n%s" $pad) (trimSuffix "\n" $text | nindent $indent) | replace $empty "\n\n" | replace $empty "\n\n" }}
{{- if hasSuffix "\n\n" $text }}{{ "\n" }}{{ end }}
{{- end }}
