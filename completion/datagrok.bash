# bash completion for datagrok(1); installed as share/bash-completion/completions/datagrok.
# Completes the options and the `emulate` subcommand with its flags; after the script
# (the first word that is not an option), the script's own arguments complete as files.

_datagrok() {
  local cur prev i word script=0 sub=""
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}

  # Find the subcommand (only as the first word) or the script: options before it
  # that take a value skip that value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $i -eq 1 && $word == emulate ]]; then sub=emulate; break; fi
    case $word in
      --log-level|--log-file|--profile|-e|-l) ((i++)) ;;
      --) script=$((i + 1)); break ;;
      -) script=$i; break ;;
      -*) ;;
      *) script=$i; break ;;
    esac
  done

  if [[ $sub == emulate ]]; then
    case $prev in
      --data) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      --tls-cert|--tls-key) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      --port|--key) return ;;
    esac
    COMPREPLY=($(compgen -W "--port --data --key --demo --faults --tls-cert --tls-key --help" -- "$cur"))
    return
  fi

  if [[ $script -gt 0 && $script -lt $COMP_CWORD ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))   # the script's arguments
    return
  fi

  case $prev in
    --log-level) COMPREPLY=($(compgen -W "error warn info debug trace" -- "$cur")); return ;;
    --log-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --profile)
      # the profile names under `servers:` of ~/.grok/config.yaml (two-space indented keys)
      local names
      names=$(sed -n '/^servers:/,/^[^ ]/s/^  \([A-Za-z0-9_.-]*\):.*/\1/p' ~/.grok/config.yaml 2>/dev/null)
      COMPREPLY=($(compgen -W "$names" -- "$cur"))
      return ;;
    -e|-l) return ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "--log-level --log-file --profile --emulate --help --version -e -l -i -v -E -W --" -- "$cur"))
    return
  fi
  # the script: a .lua file or a directory on the way to one; `emulate` as the first word
  COMPREPLY=($(compgen -f -X '!*.lua' -- "$cur") $(compgen -d -- "$cur"))
  if [[ $COMP_CWORD -eq 1 ]]; then COMPREPLY+=($(compgen -W "emulate" -- "$cur")); fi
}

complete -o filenames -F _datagrok datagrok
